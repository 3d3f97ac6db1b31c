package docsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadVectors(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// className names err's class as the shared vectors do.
func className(err error) string {
	switch err.(type) {
	case *InvalidRequestError:
		return "InvalidRequestError"
	case *AuthenticationError:
		return "AuthenticationError"
	case *PermissionError:
		return "PermissionError"
	case *IdempotencyError:
		return "IdempotencyError"
	case *RateLimitError:
		return "RateLimitError"
	case *APIError:
		return "APIError"
	case *APIConnectionError:
		return "APIConnectionError"
	}
	if err == nil {
		return "no error"
	}
	return fmt.Sprintf("%T", err)
}

// asTyped reports whether errors.As finds the typed error of class in err.
func asTyped(err error, class string) bool {
	switch class {
	case "InvalidRequestError":
		var e *InvalidRequestError
		return errors.As(err, &e)
	case "AuthenticationError":
		var e *AuthenticationError
		return errors.As(err, &e)
	case "PermissionError":
		var e *PermissionError
		return errors.As(err, &e)
	case "IdempotencyError":
		var e *IdempotencyError
		return errors.As(err, &e)
	case "RateLimitError":
		var e *RateLimitError
		return errors.As(err, &e)
	case "APIError":
		var e *APIError
		return errors.As(err, &e)
	case "APIConnectionError":
		var e *APIConnectionError
		return errors.As(err, &e)
	}
	return false
}

func TestErrorVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name    string
			Status  int
			Headers map[string]string
			Body    string
			Expect  struct {
				Class      string
				Type       *string
				Code       *string
				Param      *string
				Message    *string
				RequestID  *string `json:"request_id"`
				HTTPStatus int     `json:"http_status"`
				DocURL     *string `json:"doc_url"`
				String     string
			}
		}
	}
	loadVectors(t, "errors.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("no cases in errors.json")
	}
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			fs := newFaultServer(t, step{status: tc.Status, header: tc.Headers, body: tc.Body})
			c, _ := newTestClient(fs.URL, WithMaxRetries(0))
			_, err := c.Resources.Retrieve(context.Background(), "res_123")
			if got := className(err); got != tc.Expect.Class {
				t.Fatalf("class = %s, want %s (err: %v)", got, tc.Expect.Class, err)
			}
			// Wrapped by the caller, both the typed error and *Error stay reachable.
			wrapped := fmt.Errorf("loading: %w", err)
			if !asTyped(wrapped, tc.Expect.Class) {
				t.Errorf("errors.As(*%s) failed on a wrapped error", tc.Expect.Class)
			}
			var e *Error
			if !errors.As(wrapped, &e) {
				t.Fatalf("errors.As(*Error) failed on %T", err)
			}
			for _, f := range []struct{ field, got, want string }{
				{"type", e.Type, emptyable(tc.Expect.Type)},
				{"code", e.Code, emptyable(tc.Expect.Code)},
				{"param", e.Param, emptyable(tc.Expect.Param)},
				{"message", e.Message, emptyable(tc.Expect.Message)},
				{"request_id", e.RequestID, emptyable(tc.Expect.RequestID)},
				{"doc_url", e.DocURL, emptyable(tc.Expect.DocURL)},
				{"Error()", err.Error(), "docsapi: " + tc.Expect.String},
			} {
				if f.got != f.want {
					t.Errorf("%s = %q, want %q", f.field, f.got, f.want)
				}
			}
			if e.HTTPStatus != tc.Expect.HTTPStatus {
				t.Errorf("http_status = %d, want %d", e.HTTPStatus, tc.Expect.HTTPStatus)
			}
			for k, v := range tc.Headers {
				if got := e.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if n := len(fs.requests()); n != 1 {
				t.Errorf("%d requests with retries off, want 1", n)
			}
		})
	}
}

type retryCase struct {
	Name        string
	Status      *int
	Headers     map[string]string
	RetriesDone int `json:"retries_done"`
	MaxRetries  int `json:"max_retries"`
	Expect      struct {
		Retry    bool
		MinDelay float64 `json:"min_delay"`
		MaxDelay float64 `json:"max_delay"`
	}
}

func loadRetryCases(t *testing.T) []retryCase {
	t.Helper()
	var file struct{ Cases []retryCase }
	loadVectors(t, "retries.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("no cases in retries.json")
	}
	return file.Cases
}

func inBounds(d time.Duration, lo, hi float64) bool {
	s := d.Seconds()
	return s >= lo-1e-9 && s <= hi+1e-9
}

// TestRetryVectors checks the pure decision at both ends of the jitter.
func TestRetryVectors(t *testing.T) {
	for _, tc := range loadRetryCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			status := 0
			if tc.Status != nil {
				status = *tc.Status
			}
			header := http.Header{}
			for k, v := range tc.Headers {
				header.Set(k, v) // as net/http stores a received header
			}
			for _, random := range []float64{0, 0.5, 0.999999} {
				d, retry := retryDelay(status, header, tc.RetriesDone, tc.MaxRetries, random)
				if retry != tc.Expect.Retry {
					t.Fatalf("random=%v: retry = %v, want %v", random, retry, tc.Expect.Retry)
				}
				if retry && !inBounds(d, tc.Expect.MinDelay, tc.Expect.MaxDelay) {
					t.Errorf("random=%v: delay %v not in [%v, %v] s", random, d, tc.Expect.MinDelay, tc.Expect.MaxDelay)
				}
			}
		})
	}
}

// TestRetryVectorsOverHTTP plays each vector through a whole call: the server
// answers every attempt alike, so the wait after attempt retries_done+1 is
// the vector's.
func TestRetryVectorsOverHTTP(t *testing.T) {
	for _, tc := range loadRetryCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			st := step{reset: true}
			if tc.Status != nil {
				st = step{status: *tc.Status, header: tc.Headers, body: errorBody("api_error", "api_error")}
				if *tc.Status < 300 {
					st.body = resourceBody
				}
			}
			fs := newFaultServer(t, st)
			c, log := newTestClient(fs.URL, WithMaxRetries(tc.MaxRetries))
			c.Resources.Retrieve(context.Background(), "res_1")
			delays := log.delays()
			if !tc.Expect.Retry {
				if len(delays) != tc.RetriesDone {
					t.Fatalf("%d retries, want %d then none: %v", len(delays), tc.RetriesDone, delays)
				}
				return
			}
			if len(delays) <= tc.RetriesDone {
				t.Fatalf("only %d retries, want more than %d", len(delays), tc.RetriesDone)
			}
			if d := delays[tc.RetriesDone]; !inBounds(d, tc.Expect.MinDelay, tc.Expect.MaxDelay) {
				t.Errorf("delay %v not in [%v, %v] s", d, tc.Expect.MinDelay, tc.Expect.MaxDelay)
			}
			if got, want := len(fs.requests()), len(delays)+1; got != want {
				t.Errorf("%d requests for %d retries", got, len(delays))
			}
		})
	}
}

// TestPaginationVectors walks each case's pages with Resources.All.
func TestPaginationVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name   string
			Params struct {
				Limit         *int
				StartingAfter string `json:"starting_after"`
				EndingBefore  string `json:"ending_before"`
			}
			Pages []struct {
				IDs     []string
				HasMore bool `json:"has_more"`
			}
			StopAfter *int `json:"stop_after"`
			Expect    struct {
				IDs     []string
				Queries [][]string
			}
		}
	}
	loadVectors(t, "pagination.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("no cases in pagination.json")
	}
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			var steps []step
			for _, p := range tc.Pages {
				items := make([]string, len(p.IDs))
				for i, id := range p.IDs {
					items[i] = fmt.Sprintf(`{"id":%q,"object":"resource","name":"n","description":null,"metadata":{},"created_at":"2026-11-24T21:09:48Z","updated_at":"2026-11-24T21:09:48Z"}`, id)
				}
				steps = append(steps, step{status: 200, body: fmt.Sprintf(`{"object":"list","data":[%s],"has_more":%v,"url":"/v1/resources"}`, strings.Join(items, ","), p.HasMore)})
			}
			// A request past the vector's pages fails the walk (and the test).
			steps = append(steps, step{status: 400, body: errorBody("invalid_request_error", "parameter_invalid")})
			fs := newFaultServer(t, steps...)
			c, _ := newTestClient(fs.URL, WithMaxRetries(0))
			params := &ListParams{Limit: tc.Params.Limit, StartingAfter: tc.Params.StartingAfter, EndingBefore: tc.Params.EndingBefore}
			given := *params
			ids := []string{}
			for r, err := range c.Resources.All(context.Background(), params) {
				if err != nil {
					t.Errorf("error after %v: %v", ids, err)
					continue // the sequence must end by itself
				}
				ids = append(ids, r.ID)
				if tc.StopAfter != nil && len(ids) == *tc.StopAfter {
					break
				}
			}
			if !slices.Equal(ids, tc.Expect.IDs) {
				t.Errorf("ids = %v, want %v", ids, tc.Expect.IDs)
			}
			var got [][]string
			for _, r := range fs.requests() {
				if r.method != http.MethodGet || r.path != "/v1/resources" {
					t.Errorf("request %s %s, want GET /v1/resources", r.method, r.path)
				}
				got = append(got, queryPairs(t, r.query))
			}
			want := make([][]string, len(tc.Expect.Queries))
			for i, q := range tc.Expect.Queries {
				want[i] = slices.Sorted(slices.Values(q))
			}
			if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
				t.Errorf("queries = %q, want %q", got, want)
			}
			if *params != given {
				t.Errorf("All changed the caller's params to %+v", *params)
			}
		})
	}
}

// queryPairs returns a raw query as its sorted, decoded name=value pairs.
func queryPairs(t *testing.T, raw string) []string {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("query %q: %v", raw, err)
	}
	pairs := []string{}
	for name, values := range q {
		for _, v := range values {
			pairs = append(pairs, name+"="+v)
		}
	}
	slices.Sort(pairs)
	return pairs
}

// updateParamsFor maps a neutral "set" of update_bodies.json to the call a Go
// caller makes: null is Null[string]() for description, a nil value for a
// metadata key, and ClearMetadata for the whole metadata.
func updateParamsFor(t *testing.T, set map[string]json.RawMessage) *ResourceUpdateParams {
	t.Helper()
	isNull := func(raw json.RawMessage) bool { return string(raw) == "null" }
	p := &ResourceUpdateParams{}
	for field, raw := range set {
		switch field {
		case "name":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("set.name: %v", err)
			}
			p.Name = String(s)
		case "description":
			if isNull(raw) {
				p.Description = Null[string]()
				continue
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("set.description: %v", err)
			}
			p.Description = Value(s)
		case "metadata":
			if isNull(raw) {
				p.ClearMetadata = true
				continue
			}
			var m map[string]*string // a JSON null value decodes to a nil *string
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("set.metadata: %v", err)
			}
			p.Metadata = m
		default:
			t.Fatalf("unknown field %q in set", field)
		}
	}
	return p
}

// TestUpdateBodyVectors makes each case's update through Resources.Update
// and checks the body the fault server received.
func TestUpdateBodyVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name string
			Set  map[string]json.RawMessage
			Body json.RawMessage
		}
	}
	loadVectors(t, "update_bodies.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("no cases in update_bodies.json")
	}
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			fs := newFaultServer(t, step{status: 200, body: resourceBody})
			c, _ := newTestClient(fs.URL, WithMaxRetries(0))
			if _, err := c.Resources.Update(context.Background(), "res_1", updateParamsFor(t, tc.Set)); err != nil {
				t.Fatal(err)
			}
			reqs := fs.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if r := reqs[0]; r.method != http.MethodPatch || r.path != "/v1/resources/res_1" {
				t.Errorf("sent %s %s, want PATCH /v1/resources/res_1", r.method, r.path)
			}
			if got := reqs[0].body; !jsonEqual(got, string(tc.Body)) {
				t.Errorf("body = %s, want %s", got, tc.Body)
			}
		})
	}
}

// emptyable is a vector's string field, where null means empty.
func emptyable(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// errorExpect is the fields of an error as the vectors give them.
type errorExpect struct {
	Class      string
	Type       *string
	Code       *string
	Param      *string
	Message    string
	RequestID  *string `json:"request_id"`
	HTTPStatus *int    `json:"http_status"`
	DocURL     *string `json:"doc_url"`
}

// checkError compares err with want, field by field.
func checkError(t *testing.T, err error, want errorExpect) {
	t.Helper()
	if got := className(err); got != want.Class {
		t.Fatalf("class = %s, want %s (err: %v)", got, want.Class, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(*Error) failed on %T", err)
	}
	status := 0
	if want.HTTPStatus != nil {
		status = *want.HTTPStatus
	}
	for _, f := range []struct{ field, got, want string }{
		{"type", e.Type, emptyable(want.Type)},
		{"code", e.Code, emptyable(want.Code)},
		{"param", e.Param, emptyable(want.Param)},
		{"message", e.Message, want.Message},
		{"request_id", e.RequestID, emptyable(want.RequestID)},
		{"doc_url", e.DocURL, emptyable(want.DocURL)},
		{"http_status", fmt.Sprint(e.HTTPStatus), fmt.Sprint(status)},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.field, f.got, f.want)
		}
	}
}

func TestConnectionErrorVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name   string
			Fault  string
			Expect struct {
				errorExpect
				StringPrefix string `json:"string_prefix"`
			}
		}
	}
	loadVectors(t, "connection_errors.json", &file)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			var url string
			switch tc.Fault {
			case "refused":
				fs := newFaultServer(t, step{status: 200})
				url = fs.URL
				fs.Close()
			case "reset":
				url = newFaultServer(t, step{reset: true}).URL
			case "timeout":
				url = newFaultServer(t, step{hang: true}).URL
			default:
				t.Fatalf("unknown fault %q", tc.Fault)
			}
			c, _ := newTestClient(url, WithMaxRetries(0), WithTimeout(50*time.Millisecond))
			_, err := c.Resources.Retrieve(context.Background(), "res_1")
			checkError(t, err, tc.Expect.errorExpect)
			if s := err.Error(); !strings.HasPrefix(s, "docsapi: "+tc.Expect.StringPrefix) || !strings.HasSuffix(s, ")") {
				t.Errorf("Error() = %q, want it to start with %q", s, "docsapi: "+tc.Expect.StringPrefix)
			}
			if errors.Unwrap(errors.Unwrap(err)) == nil {
				t.Error("the network error is not reachable with errors.Unwrap")
			}
		})
	}
}

// callByName makes the call a vector names, with fixed arguments, and
// returns its result.
func callByName(t *testing.T, c *Client, call, id string, opts ...RequestOption) (any, error) {
	t.Helper()
	ctx := context.Background()
	switch call {
	case "resources.create":
		return c.Resources.Create(ctx, &ResourceCreateParams{Name: "x"}, opts...)
	case "resources.retrieve":
		return c.Resources.Retrieve(ctx, id, opts...)
	case "resources.update":
		return c.Resources.Update(ctx, id, &ResourceUpdateParams{Name: String("x")}, opts...)
	case "resources.delete":
		return c.Resources.Delete(ctx, id, opts...)
	case "resources.list":
		return c.Resources.List(ctx, nil, opts...)
	case "api_keys.create":
		return c.APIKeys.Create(ctx, &APIKeyCreateParams{Name: "ci", Scopes: []string{"resources:read"}}, opts...)
	case "api_keys.retrieve":
		return c.APIKeys.Retrieve(ctx, id, opts...)
	case "api_keys.delete":
		return c.APIKeys.Delete(ctx, id, opts...)
	case "api_keys.list":
		return c.APIKeys.List(ctx, nil, opts...)
	case "requests.retrieve":
		return c.Requests.Retrieve(ctx, id, opts...)
	}
	t.Fatalf("unknown call %q", call)
	return nil, nil
}

func TestLocalErrorVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name           string
			Call           string
			ID             string
			IdempotencyKey *string         `json:"idempotency_key"`
			APIKey         json.RawMessage `json:"api_key"`
			Expect         errorExpect
		}
	}
	loadVectors(t, "local_errors.json", &file)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Setenv("DOCSAPI_API_KEY", "")
			fs := newFaultServer(t, step{status: 200, body: resourceBody})
			c, _ := newTestClient(fs.URL, WithMaxRetries(0))
			if len(tc.APIKey) > 0 {
				var key *string
				if err := json.Unmarshal(tc.APIKey, &key); err != nil {
					t.Fatal(err)
				}
				c = NewClient("", WithBaseURL(fs.URL))
				if key != nil {
					c = NewClient(*key, WithBaseURL(fs.URL), WithMaxRetries(0))
				}
			}
			var opts []RequestOption
			if tc.IdempotencyKey != nil {
				opts = append(opts, WithIdempotencyKey(*tc.IdempotencyKey))
			}
			_, err := callByName(t, c, tc.Call, tc.ID, opts...)
			checkError(t, err, tc.Expect)
			if n := len(fs.requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestEnvironmentVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name  string
			Given struct {
				APIKey  string  `json:"api_key"`
				BaseURL *string `json:"base_url"`
			}
			Env    map[string]string
			Expect struct{ Authorization string }
		}
	}
	loadVectors(t, "environment.json", &file)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			fs := newFaultServer(t, step{status: 200, body: `{"object":"list","data":[],"has_more":false,"url":"/v1/resources"}`})
			for _, name := range []string{"DOCSAPI_API_KEY", "DOCSAPI_BASE_URL"} {
				t.Setenv(name, strings.ReplaceAll(tc.Env[name], "{server}", fs.URL))
			}
			var opts []Option
			if tc.Given.BaseURL != nil {
				opts = append(opts, WithBaseURL(strings.ReplaceAll(*tc.Given.BaseURL, "{server}", fs.URL)))
			}
			c := NewClient(tc.Given.APIKey, append(opts, WithMaxRetries(0))...)
			if _, err := c.Resources.List(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			reqs := fs.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests reached the server, want 1", len(reqs))
			}
			if got := reqs[0].header.Get("Authorization"); got != tc.Expect.Authorization {
				t.Errorf("Authorization = %q, want %q", got, tc.Expect.Authorization)
			}
		})
	}
}

func TestUserAgentVector(t *testing.T) {
	var file struct {
		Pattern   string
		Libraries map[string]struct{ Prefix, Runtime string }
	}
	loadVectors(t, "user_agent.json", &file)
	fs := newFaultServer(t, step{status: 200, body: resourceBody})
	c, _ := newTestClient(fs.URL)
	if _, err := c.Resources.Retrieve(context.Background(), "res_1"); err != nil {
		t.Fatal(err)
	}
	ua := fs.requests()[0].header.Get("User-Agent")
	lib := file.Libraries["go"]
	if !regexp.MustCompile(file.Pattern).MatchString(ua) || !strings.HasPrefix(ua, lib.Prefix+Version+" "+lib.Runtime) {
		t.Errorf("User-Agent %q does not match %s with %s%s %s", ua, file.Pattern, lib.Prefix, Version, lib.Runtime)
	}
}

func TestResponseVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name    string
			Call    string
			Status  int
			Headers map[string]string
			Body    json.RawMessage
			Expect  struct {
				HTTPStatus int     `json:"http_status"`
				RequestID  *string `json:"request_id"`
				Headers    map[string]string
			}
		}
	}
	loadVectors(t, "responses.json", &file)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			fs := newFaultServer(t, step{status: tc.Status, header: tc.Headers, body: string(tc.Body)})
			c, _ := newTestClient(fs.URL, WithMaxRetries(0))
			id := map[string]string{"api_keys": "key_1", "requests": "req_L0gEntry001"}[strings.Split(tc.Call, ".")[0]]
			if id == "" {
				id = "res_1"
			}
			got, err := callByName(t, c, tc.Call, id)
			if err != nil {
				t.Fatal(err)
			}
			holder, ok := got.(interface{ lastResp() *APIResponse })
			if !ok {
				t.Fatalf("%T carries no LastResponse", got)
			}
			r := holder.lastResp()
			if r == nil {
				t.Fatal("LastResponse is nil")
			}
			if r.HTTPStatus != tc.Expect.HTTPStatus || r.RequestID != emptyable(tc.Expect.RequestID) {
				t.Errorf("LastResponse = {HTTPStatus: %d, RequestID: %q}, want {%d, %q}", r.HTTPStatus, r.RequestID, tc.Expect.HTTPStatus, emptyable(tc.Expect.RequestID))
			}
			for name, want := range tc.Expect.Headers {
				if v := r.Header.Get(strings.ToLower(name)); v != want {
					t.Errorf("header %s = %q, want %q", name, v, want)
				}
			}
			if l, ok := got.(*List[Resource]); ok {
				for _, item := range l.Data {
					if item.LastResponse != nil {
						t.Errorf("an object inside a page has a LastResponse")
					}
				}
			}
		})
	}
}

// lastResp lets the response vectors read LastResponse of any object.
func (l *lastResponse) lastResp() *APIResponse { return l.LastResponse }

func TestListQueryVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name   string
			List   string
			Params struct {
				Limit         *int
				StartingAfter string `json:"starting_after"`
				EndingBefore  string `json:"ending_before"`
				Status        json.RawMessage
			}
			Query []string
		}
	}
	loadVectors(t, "list_queries.json", &file)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			fs := newFaultServer(t, step{status: 200, body: `{"object":"list","data":[],"has_more":false,"url":"/v1/x"}`})
			c, _ := newTestClient(fs.URL, WithMaxRetries(0))
			lp := ListParams{Limit: tc.Params.Limit, StartingAfter: tc.Params.StartingAfter, EndingBefore: tc.Params.EndingBefore}
			ctx := context.Background()
			var err error
			switch tc.List {
			case "resources":
				_, err = c.Resources.List(ctx, &lp)
			case "api_keys":
				_, err = c.APIKeys.List(ctx, &lp)
			case "requests":
				status := strings.Trim(string(tc.Params.Status), `"`) // a number as its decimal string
				_, err = c.Requests.List(ctx, &RequestListParams{ListParams: lp, Status: status})
			default:
				t.Fatalf("unknown list %q", tc.List)
			}
			if err != nil {
				t.Fatal(err)
			}
			reqs := fs.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if got, want := queryPairs(t, reqs[0].query), slices.Sorted(slices.Values(tc.Query)); !slices.Equal(got, want) {
				t.Errorf("query = %q, want %q", got, want)
			}
		})
	}
}

func TestRequestLogVectors(t *testing.T) {
	var file struct {
		Cases []struct {
			Name   string
			Body   json.RawMessage
			Expect struct {
				Error *struct {
					Type, Code, Message string
					Param               *string
				}
				IP        *string
				UserAgent *string `json:"user_agent"`
				Source    *string
			}
		}
	}
	loadVectors(t, "request_log.json", &file)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			fs := newFaultServer(t, step{status: 200, body: string(tc.Body)})
			c, _ := newTestClient(fs.URL, WithMaxRetries(0))
			entry, err := c.Requests.Retrieve(context.Background(), "req_L0gEntry001")
			if err != nil {
				t.Fatal(err)
			}
			want := tc.Expect
			switch {
			case want.Error == nil && entry.Error != nil:
				t.Errorf("Error = %+v, want nil", entry.Error)
			case want.Error != nil && entry.Error == nil:
				t.Errorf("Error = nil, want %+v", want.Error)
			case want.Error != nil:
				w := RequestLogError{Type: want.Error.Type, Code: want.Error.Code, Message: want.Error.Message, Param: emptyable(want.Error.Param)}
				if *entry.Error != w {
					t.Errorf("Error = %+v, want %+v", *entry.Error, w)
				}
			}
			if entry.IP != emptyable(want.IP) || entry.UserAgent != emptyable(want.UserAgent) || entry.Source != emptyable(want.Source) {
				t.Errorf("IP, UserAgent, Source = %q, %q, %q; want %q, %q, %q", entry.IP, entry.UserAgent, entry.Source,
					emptyable(want.IP), emptyable(want.UserAgent), emptyable(want.Source))
			}
		})
	}
}
