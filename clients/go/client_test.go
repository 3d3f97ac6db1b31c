package docsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRetry500Then201(t *testing.T) {
	fs := newFaultServer(t,
		step{status: 500, body: errorBody("api_error", "api_error")},
		step{status: 201, body: resourceBody},
	)
	c, log := newTestClient(fs.URL)
	r, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "Quarterly report"})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "res_1" || r.Name != "Quarterly report" || r.Metadata["team"] != "finance" || r.Description != nil {
		t.Errorf("resource = %+v", r)
	}
	reqs := fs.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	key := reqs[0].header.Get("Idempotency-Key")
	if !uuidV4.MatchString(key) {
		t.Errorf("Idempotency-Key %q is not a UUID v4", key)
	}
	if got := reqs[1].header.Get("Idempotency-Key"); got != key {
		t.Errorf("retry sent Idempotency-Key %q, first attempt %q", got, key)
	}
	if reqs[0].body != reqs[1].body {
		t.Errorf("retry body %q differs from %q", reqs[1].body, reqs[0].body)
	}
	if d := log.delays(); len(d) != 1 || !inBounds(d[0], 0.375, 0.5) {
		t.Errorf("waits = %v, want one in [0.375, 0.5] s", d)
	}
}

func TestEachCallGetsItsOwnIdempotencyKey(t *testing.T) {
	fs := newFaultServer(t, step{status: 201, body: resourceBody})
	c, _ := newTestClient(fs.URL)
	for range 2 {
		if _, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	reqs := fs.requests()
	if a, b := reqs[0].header.Get("Idempotency-Key"), reqs[1].header.Get("Idempotency-Key"); a == b {
		t.Errorf("two calls shared Idempotency-Key %q", a)
	}
}

func TestCallersIdempotencyKeyIsKeptAcrossRetries(t *testing.T) {
	fs := newFaultServer(t, step{reset: true}, step{status: 503, body: "Service Unavailable"}, step{status: 200, body: resourceBody})
	c, _ := newTestClient(fs.URL)
	_, err := c.Resources.Update(context.Background(), "res_1", &ResourceUpdateParams{Name: String("x")}, WithIdempotencyKey("job-42"))
	if err != nil {
		t.Fatal(err)
	}
	reqs := fs.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if got := r.header.Get("Idempotency-Key"); got != "job-42" {
			t.Errorf("attempt %d: Idempotency-Key %q, want job-42", i+1, got)
		}
	}
}

func TestRetryAfterOneSecondIsWaited(t *testing.T) {
	fs := newFaultServer(t,
		step{status: 429, header: map[string]string{"Retry-After": "1"}, body: errorBody("rate_limit_error", "rate_limit_exceeded")},
		step{status: 201, body: resourceBody},
	)
	c := NewClient("sk_test_key", WithBaseURL(fs.URL)) // real sleep: the one test that waits
	start := time.Now()
	if _, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("call took %v, want at least 1 s", waited)
	}
	if n := len(fs.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestLongRetryAfterFailsAtOnce(t *testing.T) {
	fs := newFaultServer(t, step{status: 429, header: map[string]string{"Retry-After": "120"}, body: errorBody("rate_limit_error", "rate_limit_exceeded")})
	c, log := newTestClient(fs.URL)
	_, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "x"})
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v, want *RateLimitError", err)
	}
	if rl.Header.Get("Retry-After") != "120" || rl.HTTPStatus != 429 {
		t.Errorf("error = %+v", rl)
	}
	if n := len(fs.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if d := log.delays(); len(d) != 0 {
		t.Errorf("waited %v", d)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status      int
		typ, code   string
		retryAfter  string
		wantClass   string
		description string
	}{
		{400, "invalid_request_error", "parameter_missing", "", "InvalidRequestError", "bad request"},
		{401, "authentication_error", "authentication_failed", "", "AuthenticationError", "bad key"},
		{403, "permission_error", "permission_denied", "", "PermissionError", "no scope"},
		{404, "invalid_request_error", "resource_missing", "", "InvalidRequestError", "no such object"},
		{409, "idempotency_error", "idempotency_conflict", "1", "IdempotencyError", "conflict, even with Retry-After"},
	} {
		t.Run(tc.description, func(t *testing.T) {
			st := step{status: tc.status, body: errorBody(tc.typ, tc.code)}
			if tc.retryAfter != "" {
				st.header = map[string]string{"Retry-After": tc.retryAfter}
			}
			fs := newFaultServer(t, st, step{status: 201, body: resourceBody})
			c, log := newTestClient(fs.URL)
			_, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "x"})
			if got := className(err); got != tc.wantClass {
				t.Fatalf("class = %s, want %s (%v)", got, tc.wantClass, err)
			}
			if n := len(fs.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if len(log.delays()) != 0 {
				t.Errorf("waited %v", log.delays())
			}
		})
	}
}

func TestConnectionFailures(t *testing.T) {
	t.Run("reset then success", func(t *testing.T) {
		fs := newFaultServer(t, step{reset: true}, step{status: 201, body: resourceBody})
		c, _ := newTestClient(fs.URL)
		if _, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "x"}); err != nil {
			t.Fatal(err)
		}
		if n := len(fs.requests()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("reset persists", func(t *testing.T) {
		fs := newFaultServer(t, step{reset: true})
		c, log := newTestClient(fs.URL)
		_, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "x"})
		var ce *APIConnectionError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v (%T), want *APIConnectionError", err, err)
		}
		var e *Error
		if !errors.As(err, &e) || e.HTTPStatus != 0 || e.Message == "" {
			t.Errorf("*Error = %+v", e)
		}
		if n := len(fs.requests()); n != 3 {
			t.Errorf("%d requests, want 3 (1 + 2 retries)", n)
		}
		if d := log.delays(); len(d) != 2 || !inBounds(d[0], 0.375, 0.5) || !inBounds(d[1], 0.75, 1) {
			t.Errorf("waits = %v", d)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		fs := newFaultServer(t, step{status: 200})
		url := fs.URL
		fs.Close() // nothing listens there any more
		c, log := newTestClient(url, WithMaxRetries(1))
		_, err := c.Resources.Retrieve(context.Background(), "res_1")
		var ce *APIConnectionError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v (%T), want *APIConnectionError", err, err)
		}
		if len(log.delays()) != 1 {
			t.Errorf("waits = %v, want 1", log.delays())
		}
	})
	t.Run("attempt timeout then success", func(t *testing.T) {
		fs := newFaultServer(t, step{hang: true}, step{status: 200, body: resourceBody})
		c, _ := newTestClient(fs.URL, WithTimeout(100*time.Millisecond))
		if _, err := c.Resources.Retrieve(context.Background(), "res_1"); err != nil {
			t.Fatal(err)
		}
		if n := len(fs.requests()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("every attempt times out", func(t *testing.T) {
		fs := newFaultServer(t, step{hang: true})
		c, _ := newTestClient(fs.URL, WithTimeout(50*time.Millisecond), WithMaxRetries(1))
		_, err := c.Resources.Retrieve(context.Background(), "res_1")
		var ce *APIConnectionError
		if !errors.As(err, &ce) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v (%T), want a *APIConnectionError wrapping DeadlineExceeded", err, err)
		}
		if n := len(fs.requests()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
}

func TestMaxRetries(t *testing.T) {
	for _, n := range []int{0, 1, 4} {
		fs := newFaultServer(t, step{status: 500, body: errorBody("api_error", "api_error")})
		c, log := newTestClient(fs.URL, WithMaxRetries(n))
		_, err := c.Resources.Retrieve(context.Background(), "res_1")
		if className(err) != "APIError" {
			t.Errorf("max %d: err = %v", n, err)
		}
		if got := len(fs.requests()); got != n+1 {
			t.Errorf("max %d: %d requests, want %d", n, got, n+1)
		}
		// random = 0.5 takes 7/8 of each base: 0.5, 1, 2, 4 s.
		for i, d := range log.delays() {
			if want := time.Duration(float64(500*time.Millisecond<<i) * 0.875); d != want {
				t.Errorf("max %d: wait %d = %v, want %v", n, i, d, want)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	c := NewClient("sk_x")
	if c.baseURL != "http://127.0.0.1:8080" || c.timeout != 30*time.Second || c.maxRetries != 2 || c.httpClient.Transport != http.DefaultClient.Transport {
		t.Errorf("defaults: base %q timeout %v retries %d", c.baseURL, c.timeout, c.maxRetries)
	}
	hc := &http.Client{Timeout: 7 * time.Second}
	c = NewClient("sk_x", WithBaseURL("http://example.test/"), WithTimeout(-1), WithMaxRetries(-3), WithHTTPClient(hc))
	if c.baseURL != "http://example.test" || c.timeout != 0 || c.maxRetries != 0 || c.httpClient.Timeout != hc.Timeout {
		t.Errorf("options: base %q timeout %v retries %d", c.baseURL, c.timeout, c.maxRetries)
	}
	// The client follows no redirect, and leaves the caller's as it was.
	if c.httpClient.CheckRedirect == nil || hc.CheckRedirect != nil {
		t.Error("the client's redirect policy is not its own")
	}
}

// TestRedirectsAreNotFollowed: a create answered with a redirect is an
// APIError, not a GET of the new location read as the created resource.
func TestRedirectsAreNotFollowed(t *testing.T) {
	fs := newFaultServer(t, step{status: 302, header: map[string]string{"Location": "/v1/resources"}},
		step{status: 200, body: `{"object":"list","data":[],"has_more":false,"url":"/v1/resources"}`})
	c, _ := newTestClient(fs.URL)
	_, err := c.Resources.Create(context.Background(), &ResourceCreateParams{Name: "x"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatus != 302 {
		t.Fatalf("err = %v, want an APIError of HTTP 302", err)
	}
	if n := len(fs.requests()); n != 1 {
		t.Errorf("%d requests, want 1: the redirect was followed", n)
	}
}

// TestPrintingTheClientHidesItsKey: a client printed or logged, with any
// verb, shows the key's prefix only.
func TestPrintingTheClientHidesItsKey(t *testing.T) {
	const secret = "sk_live_SECRETSECRETSECRETSECRETSECRET12"
	c := NewClient(secret)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if got := fmt.Sprintf(verb, c); strings.Contains(got, "SECRETSECRET") || !strings.Contains(got, "sk_live_SECR…") {
			t.Errorf("%s: %s", verb, got)
		}
	}
}

func TestCancellation(t *testing.T) {
	t.Run("during a backoff wait", func(t *testing.T) {
		fs := newFaultServer(t, step{status: 503, header: map[string]string{"Retry-After": "60"}, body: "busy"})
		c := NewClient("sk_test_key", WithBaseURL(fs.URL)) // real sleep, cut short
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: "x"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("call took %v after cancel", took)
		}
		if n := len(fs.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("during a request", func(t *testing.T) {
		fs := newFaultServer(t, step{hang: true})
		c, log := newTestClient(fs.URL)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Resources.Retrieve(ctx, "res_1")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		var ce *APIConnectionError
		if errors.As(err, &ce) {
			t.Errorf("a cancelled call is not a *APIConnectionError")
		}
		if n := len(fs.requests()); n != 1 || len(log.delays()) != 0 {
			t.Errorf("%d requests and waits %v after cancel", n, log.delays())
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		fs := newFaultServer(t, step{status: 200, body: resourceBody})
		c, _ := newTestClient(fs.URL)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Resources.Retrieve(ctx, "res_1"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// TestRequests checks what each method puts on the wire.
func TestRequests(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name                      string
		call                      func(c *Client) error
		method, path, query, body string
		idempotencyKey            string // "uuid" for a generated one
	}{
		{"create resource", func(c *Client) error {
			_, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: "Q", Description: String("d"), Metadata: map[string]string{"team": "finance"}})
			return err
		}, "POST", "/v1/resources", "", `{"name":"Q","description":"d","metadata":{"team":"finance"}}`, "uuid"},
		{"create resource with an empty name sends it", func(c *Client) error {
			_, err := c.Resources.Create(ctx, &ResourceCreateParams{Name: ""})
			return err
		}, "POST", "/v1/resources", "", `{"name":""}`, "uuid"},
		{"retrieve resource escapes the id", func(c *Client) error {
			_, err := c.Resources.Retrieve(ctx, "res/1?x")
			return err
		}, "GET", "/v1/resources/res/1?x", "", "", ""},
		{"update sets null and removes metadata keys", func(c *Client) error {
			_, err := c.Resources.Update(ctx, "res_1", &ResourceUpdateParams{Description: Null[string](), Metadata: map[string]*string{"team": nil, "tier": String(""), "region": String("eu")}})
			return err
		}, "PATCH", "/v1/resources/res_1", "", `{"description":null,"metadata":{"region":"eu","team":null,"tier":""}}`, "uuid"},
		{"update clears all metadata", func(c *Client) error {
			_, err := c.Resources.Update(ctx, "res_1", &ResourceUpdateParams{ClearMetadata: true})
			return err
		}, "PATCH", "/v1/resources/res_1", "", `{"metadata":null}`, "uuid"},
		{"update sets a description, leaves the rest", func(c *Client) error {
			_, err := c.Resources.Update(ctx, "res_1", &ResourceUpdateParams{Name: String("N"), Description: Value("text")}, WithIdempotencyKey("k1"))
			return err
		}, "PATCH", "/v1/resources/res_1", "", `{"description":"text","name":"N"}`, "k1"},
		{"delete resource", func(c *Client) error {
			_, err := c.Resources.Delete(ctx, "res_1")
			return err
		}, "DELETE", "/v1/resources/res_1", "", "", "uuid"},
		{"list resources", func(c *Client) error {
			_, err := c.Resources.List(ctx, &ListParams{Limit: Int(3), StartingAfter: "res_9"})
			return err
		}, "GET", "/v1/resources", "limit=3&starting_after=res_9", "", ""},
		{"list resources without params", func(c *Client) error {
			_, err := c.Resources.List(ctx, nil)
			return err
		}, "GET", "/v1/resources", "", "", ""},
		{"create api key", func(c *Client) error {
			_, err := c.APIKeys.Create(ctx, &APIKeyCreateParams{Name: "ci", Scopes: []string{"resources:read"}})
			return err
		}, "POST", "/v1/api_keys", "", `{"name":"ci","scopes":["resources:read"]}`, "uuid"},
		{"create api key with a rate limit", func(c *Client) error {
			_, err := c.APIKeys.Create(ctx, &APIKeyCreateParams{Name: "ci", Scopes: []string{"*"}, RateLimit: 5})
			return err
		}, "POST", "/v1/api_keys", "", `{"name":"ci","scopes":["*"],"rate_limit":5}`, "uuid"},
		{"retrieve api key", func(c *Client) error {
			_, err := c.APIKeys.Retrieve(ctx, "key_1")
			return err
		}, "GET", "/v1/api_keys/key_1", "", "", ""},
		{"revoke api key", func(c *Client) error {
			_, err := c.APIKeys.Delete(ctx, "key_1", WithIdempotencyKey("k2"))
			return err
		}, "DELETE", "/v1/api_keys/key_1", "", "", "k2"},
		{"list api keys", func(c *Client) error {
			_, err := c.APIKeys.List(ctx, &ListParams{EndingBefore: "key_1"})
			return err
		}, "GET", "/v1/api_keys", "ending_before=key_1", "", ""},
		{"retrieve request", func(c *Client) error {
			_, err := c.Requests.Retrieve(ctx, "req_1")
			return err
		}, "GET", "/v1/requests/req_1", "", "", ""},
		{"list requests by status", func(c *Client) error {
			_, err := c.Requests.List(ctx, &RequestListParams{ListParams: ListParams{Limit: Int(5)}, Status: "4xx"})
			return err
		}, "GET", "/v1/requests", "limit=5&status=4xx", "", ""},
		{"idempotency key ignored on a read", func(c *Client) error {
			_, err := c.Requests.List(ctx, nil, WithIdempotencyKey("k3"))
			return err
		}, "GET", "/v1/requests", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFaultServer(t, step{status: 200, body: `{"object":"any"}`})
			c, _ := newTestClient(fs.URL)
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			reqs := fs.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.method != tc.method || r.path != tc.path || r.query != tc.query {
				t.Errorf("sent %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tc.method, tc.path, tc.query)
			}
			if tc.body == "" {
				if r.body != "" || r.header.Get("Content-Type") != "" {
					t.Errorf("sent body %q with Content-Type %q", r.body, r.header.Get("Content-Type"))
				}
			} else {
				if !jsonEqual(r.body, tc.body) {
					t.Errorf("body = %s, want %s", r.body, tc.body)
				}
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
			}
			switch key := r.header.Get("Idempotency-Key"); tc.idempotencyKey {
			case "uuid":
				if !uuidV4.MatchString(key) {
					t.Errorf("Idempotency-Key = %q, want a UUID v4", key)
				}
			default:
				if key != tc.idempotencyKey {
					t.Errorf("Idempotency-Key = %q, want %q", key, tc.idempotencyKey)
				}
			}
			if ua := r.header.Get("User-Agent"); !strings.HasPrefix(ua, "docsapi-go/0.1.0") {
				t.Errorf("User-Agent = %q", ua)
			}
			if auth := r.header.Get("Authorization"); auth != "Bearer sk_test_key" {
				t.Errorf("Authorization = %q", auth)
			}
		})
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func TestUnreadableSuccessBody(t *testing.T) {
	fs := newFaultServer(t, step{status: 200, header: map[string]string{"Request-Id": "req_Garbled0001"}, body: "<html>"})
	c, _ := newTestClient(fs.URL)
	_, err := c.Resources.Retrieve(context.Background(), "res_1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 200 || ae.RequestID != "req_Garbled0001" {
		t.Fatalf("err = %v, want *APIError for HTTP 200", err)
	}
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		t.Errorf("the JSON error is not reachable from %v", err)
	}
	if n := len(fs.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestBadBaseURL(t *testing.T) {
	for _, u := range []string{"ftp://example.test", "http://bad host"} {
		c, log := newTestClient(u)
		_, err := c.Resources.Retrieve(context.Background(), "res_1")
		var e *Error
		if err == nil || errors.As(err, &e) {
			t.Errorf("%s: err = %v, want a plain error", u, err)
		}
		if len(log.delays()) != 0 {
			t.Errorf("%s: retried", u)
		}
	}
}

func TestClearMetadataWithMetadataIsRefused(t *testing.T) {
	fs := newFaultServer(t, step{status: 200, body: resourceBody})
	c, _ := newTestClient(fs.URL)
	_, err := c.Resources.Update(context.Background(), "res_1", &ResourceUpdateParams{
		ClearMetadata: true,
		Metadata:      map[string]*string{"team": String("finance")},
	})
	if !errors.Is(err, errClearAndSetMetadata) {
		t.Errorf("err = %v, want errClearAndSetMetadata", err)
	}
	if _, err := json.Marshal(ResourceUpdateParams{ClearMetadata: true, Metadata: map[string]*string{"a": nil}}); err == nil {
		t.Error("MarshalJSON accepted ClearMetadata with Metadata")
	}
	// An empty (non-nil) map does not conflict: there is nothing to set.
	if _, err := c.Resources.Update(context.Background(), "res_1", &ResourceUpdateParams{ClearMetadata: true, Metadata: map[string]*string{}}); err != nil {
		t.Errorf("ClearMetadata with an empty map: %v", err)
	}
	if reqs := fs.requests(); len(reqs) != 1 || !jsonEqual(reqs[0].body, `{"metadata":null}`) {
		t.Errorf("requests = %+v, want one with {\"metadata\":null}", reqs)
	}
}
