package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
)

// TestRequestLogNamesEachKey: entries of two keys and two accounts each
// name their own key, and are found by it (SQLite keeps accounts and keys
// as numbers of its own).
func TestRequestLogNamesEachKey(t *testing.T) {
	e := newEnv(t)
	secret, keyID := e.newKey(100, docsapi.ScopeResourcesRead, docsapi.ScopeLogsRead)
	other := e.newAccount()
	calls := []struct{ key, want string }{{e.rootKey, ""}, {secret, keyID}, {other, ""}}
	for i, c := range calls {
		id := e.do("GET", "/v1/resources/res_missing", c.key, nil).want(t, 404).header.Get("Request-Id")
		got := e.do("GET", "/v1/requests/"+id, c.key, nil).want(t, 200).json(t)["api_key_id"]
		if s, _ := got.(string); !strings.HasPrefix(s, docsapi.PrefixAPIKey) || c.want != "" && s != c.want {
			t.Errorf("call %d: api_key_id %v, want %q", i, got, c.want)
		}
		calls[i].want = got.(string)
	}
	if calls[0].want == calls[1].want || calls[0].want == calls[2].want {
		t.Errorf("two keys' entries name the same key: %+v", calls)
	}
	page := e.do("GET", "/v1/requests", secret, nil).want(t, 200).json(t)["data"].([]any)
	if len(page) == 0 {
		t.Fatal("the second key sees no entries")
	}
	for _, entry := range page {
		if got := entry.(map[string]any)["api_key_id"]; got != keyID && got != calls[0].want {
			t.Errorf("an entry of the account names %v", got)
		}
	}
}

func TestRequestLog(t *testing.T) {
	e := newEnv(t)
	failed := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": ""}, "Idempotency-Key", "log-1")
	failedID := failed.header.Get("Request-Id")
	created := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "ok"}, "Idempotency-Key", "log-2").want(t, 201)
	replay := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "ok"}, "Idempotency-Key", "log-2").want(t, 201)
	e.do("GET", "/v1/resources/res_missing", e.rootKey, nil).want(t, 404)
	unauth := e.do("GET", "/v1/resources", "", nil).want(t, 401)

	// Support traces the request_id from the error body.
	r := e.do("GET", "/v1/requests/"+failedID, e.rootKey, nil).want(t, 200)
	got := r.json(t)
	want := map[string]any{
		"id": failedID, "object": "request", "method": "POST", "path": "/v1/resources", "status": 400.0,
		"error_code": "parameter_missing", "idempotency_key": "log-1", "idempotent_replayed": false,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	root, err := e.srv.APIKeyService.FindAPIKeyByHash(context.Background(), docsapi.HashSecret(e.rootKey))
	if err != nil {
		t.Fatal(err)
	}
	if got["api_key_id"] != root.ID || got["duration_ms"] == nil || got["created_at"] == nil {
		t.Errorf("entry %s, want api_key_id %s", r.body, root.ID)
	}
	if e.do("GET", "/v1/requests/"+replay.header.Get("Request-Id"), e.rootKey, nil).want(t, 200).json(t)["idempotent_replayed"] != true {
		t.Error("replay not marked in the log")
	}
	if e.do("GET", "/v1/requests/"+created.header.Get("Request-Id"), e.rootKey, nil).json(t)["error_code"] != nil {
		t.Error("success has an error_code")
	}
	// Unauthenticated requests are not logged.
	e.do("GET", "/v1/requests/"+unauth.header.Get("Request-Id"), e.rootKey, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
	// Another account cannot see the entry.
	e.do("GET", "/v1/requests/"+failedID, e.newAccount(), nil).wantError(t, 404, docsapi.ENOTFOUND, "id")

	filters := []struct {
		status string
		want   []string // statuses, newest first
	}{
		{"4xx", []string{"404", "404", "400"}}, // the second 404 is the lookup of the unlogged 401
		{"2xx", nil},                           // checked by count below
		{"404", []string{"404", "404"}},
		{"parameter_missing", []string{"400"}},
		{"5xx", []string{}},
	}
	for _, f := range filters {
		t.Run("status="+f.status, func(t *testing.T) {
			m := e.do("GET", "/v1/requests?status="+f.status+"&limit=100", e.rootKey, nil).want(t, 200).json(t)
			var statuses []string
			for _, d := range m["data"].([]any) {
				statuses = append(statuses, fmt.Sprint(d.(map[string]any)["status"]))
			}
			if f.want != nil && fmt.Sprint(statuses) != fmt.Sprint(f.want) {
				t.Errorf("statuses %v, want %v", statuses, f.want)
			}
			for _, s := range statuses {
				if f.status == "2xx" && !strings.HasPrefix(s, "2") {
					t.Errorf("status %s in 2xx", s)
				}
			}
		})
	}
	for _, bad := range []string{"6xx", "teapot", "40"} {
		e.do("GET", "/v1/requests?status="+bad, e.rootKey, nil).wantError(t, 400, docsapi.EPARAMINVALID, "status")
	}
	// Pagination runs over the log too.
	page := e.do("GET", "/v1/requests?limit=2", e.rootKey, nil).want(t, 200)
	first := ids(t, page)
	next := ids(t, e.do("GET", "/v1/requests?limit=2&starting_after="+first[1], e.rootKey, nil).want(t, 200))
	if len(first) != 2 || len(next) != 2 || first[1] == next[0] {
		t.Errorf("pages %v then %v", first, next)
	}
	logsOnly, _ := e.newKey(0, docsapi.ScopeResourcesRead)
	e.do("GET", "/v1/requests", logsOnly, nil).wantError(t, 403, docsapi.EFORBIDDEN, "")
}

// TestRequestLogDashboardFields: each entry keeps the error object as it
// was returned, the client's address and User-Agent, and its source.
func TestRequestLogDashboardFields(t *testing.T) {
	e := newEnv(t)
	longUA := strings.Repeat("é", docsapi.MaxUserAgentLen+100)
	tests := []struct {
		name      string
		method    string
		path      string
		body      any
		headers   []string
		status    int
		wantError map[string]any // nil for a success
		wantUA    any
		wantRoute string
	}{
		{name: "param error", method: "POST", path: "/v1/resources", body: map[string]any{"name": ""},
			headers: []string{"User-Agent", "docsapi-test/1.0"}, status: 400,
			wantError: map[string]any{"type": "invalid_request_error", "code": "parameter_missing", "message": "Missing required parameter: name.", "param": "name"},
			wantUA:    "docsapi-test/1.0", wantRoute: "POST /v1/resources"},
		{name: "error without param", method: "GET", path: "/v1/requests", headers: []string{"User-Agent", "x"}, status: 403,
			wantError: map[string]any{"type": "permission_error", "code": "permission_denied", "message": "This API key lacks the scope logs:read that this request needs."},
			wantUA:    "x", wantRoute: "GET /v1/requests"},
		{name: "no User-Agent", method: "GET", path: "/v1/resources/res_missing0000000000000000", headers: []string{"User-Agent", ""}, status: 404,
			wantError: map[string]any{"type": "invalid_request_error", "code": "resource_missing", "message": "No such resource: 'res_missing0000000000000000'.", "param": "id"},
			wantUA:    nil, wantRoute: "GET /v1/resources/{id}"},
		{name: "message quoting invalid UTF-8", method: "GET", path: "/v1/resources/res_%FFx", status: 404,
			wantError: map[string]any{"type": "invalid_request_error", "code": "resource_missing", "message": "No such resource: 'res_\uFFFDx'.", "param": "id"},
			wantUA:    "Go-http-client/1.1", wantRoute: "GET /v1/resources/{id}"},
		{name: "message quoting NUL", method: "GET", path: "/v1/resources/res_%00x", status: 404,
			wantError: map[string]any{"type": "invalid_request_error", "code": "resource_missing", "message": "No such resource: 'res_\uFFFDx'.", "param": "id"},
			wantUA:    "Go-http-client/1.1", wantRoute: "GET /v1/resources/{id}"},
		{name: "long User-Agent", method: "GET", path: "/v1/resources", headers: []string{"User-Agent", longUA}, status: 200,
			wantUA: strings.Repeat("é", docsapi.MaxUserAgentLen), wantRoute: "GET /v1/resources"},
		{name: "invalid UTF-8 User-Agent", method: "GET", path: "/v1/resources", headers: []string{"User-Agent", "a\xffb"}, status: 200,
			wantUA: "a\uFFFDb", wantRoute: "GET /v1/resources"},
	}
	resourcesOnly, _ := e.newKey(0, docsapi.ScopeResourcesRead)
	root, err := e.srv.APIKeyService.FindAPIKeyByHash(context.Background(), docsapi.HashSecret(e.rootKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := e.rootKey
			if tt.status == 403 {
				key = resourcesOnly
			}
			r := e.do(tt.method, tt.path, key, tt.body, tt.headers...).want(t, tt.status)
			id := r.header.Get("Request-Id")
			got := e.do("GET", "/v1/requests/"+id, e.rootKey, nil).want(t, 200).json(t)
			if tt.wantError == nil {
				if v, ok := got["error"]; !ok || v != nil {
					t.Errorf("error = %v (present %v), want null", v, ok)
				}
			} else if fmt.Sprint(got["error"]) != fmt.Sprint(tt.wantError) {
				t.Errorf("error = %v, want %v", got["error"], tt.wantError)
			}
			if v, ok := got["user_agent"]; !ok || v != tt.wantUA {
				t.Errorf("user_agent = %q (present %v), want %q", v, ok, tt.wantUA)
			}
			if got["ip"] != "127.0.0.1" || got["source"] != "api" {
				t.Errorf("ip %v, source %v", got["ip"], got["source"])
			}
			// The matched route is kept for grouping errors by endpoint.
			l, err := e.srv.RequestLogService.FindRequestLogByID(context.Background(), root.AccountID, id)
			if err != nil || l.Route != tt.wantRoute {
				t.Errorf("route %q (%v), want %q", l.Route, err, tt.wantRoute)
			}
		})
	}

	// The list carries the same fields.
	list := e.do("GET", "/v1/requests?status=parameter_missing", e.rootKey, nil).want(t, 200).json(t)
	first := list["data"].([]any)[0].(map[string]any)
	if first["error"].(map[string]any)["param"] != "name" || first["ip"] != "127.0.0.1" || first["source"] != "api" {
		t.Errorf("list entry %v", first)
	}

	// A replayed error keeps the stored error object.
	for i := range 2 {
		r := e.do("DELETE", "/v1/resources/res_gone0000000000000000000", e.rootKey, nil, "Idempotency-Key", "gone").want(t, 404)
		got := e.do("GET", "/v1/requests/"+r.header.Get("Request-Id"), e.rootKey, nil).want(t, 200).json(t)
		want := map[string]any{"type": "invalid_request_error", "code": "resource_missing", "message": "No such resource: 'res_gone0000000000000000000'.", "param": "id"}
		if fmt.Sprint(got["error"]) != fmt.Sprint(want) || got["idempotent_replayed"] != (i == 1) {
			t.Errorf("attempt %d: error %v, replayed %v", i, got["error"], got["idempotent_replayed"])
		}
	}
}

// outageLogs is the real request-log store behind a switch that makes its
// writes fail, as a full disk or a lost database connection would.
type outageLogs struct {
	docsapi.RequestLogService
	on      atomic.Bool
	refused atomic.Int64 // entries refused while on
}

func (o *outageLogs) CreateRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	if o.on.Load() {
		o.refused.Add(int64(len(logs)))
		return errors.New("disk I/O error")
	}
	return o.RequestLogService.CreateRequestLogs(ctx, logs)
}

// waitRefused waits until the logger has tried, and failed, to write n entries.
func (o *outageLogs) waitRefused(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); o.refused.Load() < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the logger tried %d entries, want %d", o.refused.Load(), n)
		}
	}
}

// TestRequestLogSurvivesStoreOutage: the 5xx of a write outage are exactly
// what support is asked about, so entries the store refused are kept and
// written once it recovers, or when the server shuts down.
func TestRequestLogSurvivesStoreOutage(t *testing.T) {
	store := &outageLogs{}
	e := newEnv(t, func(s *dhttp.Server) {
		store.RequestLogService = s.RequestLogService
		s.RequestLogService = store
		dhttp.SetBeforeWork(s, func(context.Context) error {
			if store.on.Load() {
				return errors.New("disk I/O error")
			}
			return nil
		})
	})
	post := func(n int) []string {
		var ids []string
		for i := 0; i < n; i++ {
			r := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "during the outage"})
			r.wantError(t, 500, docsapi.EINTERNAL, "")
			ids = append(ids, r.header.Get("Request-Id"))
		}
		return ids
	}
	store.on.Store(true)
	ids := post(5)
	store.waitRefused(t, 5)
	store.on.Store(false)
	for _, id := range ids {
		got := e.do("GET", "/v1/requests/"+id, e.rootKey, nil).want(t, 200).json(t)
		if got["status"] != 500.0 || got["error_code"] != docsapi.EINTERNAL {
			t.Errorf("entry %s: %v", id, got)
		}
	}

	// Shutting down during an outage retries until the store is back.
	store.on.Store(true)
	before := store.refused.Load()
	ids = post(3)
	store.waitRefused(t, before+3)
	go func() {
		time.Sleep(300 * time.Millisecond)
		store.on.Store(false)
	}()
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	root, err := e.srv.APIKeyService.FindAPIKeyByHash(context.Background(), docsapi.HashSecret(e.rootKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := store.FindRequestLogByID(context.Background(), root.AccountID, id); err != nil {
			t.Errorf("entry %s after shutdown: %v", id, err)
		}
	}
	if !strings.Contains(e.logs.String(), "request log store failing; keeping entries to retry") {
		t.Errorf("the outage was not logged")
	}
}

// accessLines returns the access-log lines ("msg":"request") in logs, by
// request id.
func accessLines(t *testing.T, logs string) map[string]string {
	t.Helper()
	lines := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if line == "" {
			continue
		}
		var l struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Msg == "request" {
			lines[l.RequestID] = line
		}
	}
	return lines
}

// TestAccessLog: by default a request gets an access-log line when it
// failed or when the request log does not keep it; with LogAllRequests,
// every request does.
func TestAccessLog(t *testing.T) {
	for _, all := range []bool{false, true} {
		t.Run(fmt.Sprintf("all=%v", all), func(t *testing.T) {
			e := newEnv(t, func(s *dhttp.Server) { s.LogAllRequests = all })
			id := e.createResource(e.rootKey, "logged")
			tests := []struct {
				name     string
				method   string
				path     string
				key      string
				status   int
				wantLine bool
			}{
				{"kept and answered", "GET", "/v1/resources/" + id, e.rootKey, 200, all},
				{"kept and failed", "GET", "/v1/resources/res_missing", e.rootKey, 404, true},
				{"kept and refused", "POST", "/v1/resources", e.rootKey, 400, true},
				{"no key", "GET", "/v1/resources/" + id, "", 401, true},
				{"no key needed", "GET", "/healthz", "", 200, true},
			}
			for _, tt := range tests {
				r := e.do(tt.method, tt.path, tt.key, nil).want(t, tt.status)
				line, ok := accessLines(t, e.logs.String())[r.header.Get("Request-Id")]
				if ok != tt.wantLine {
					t.Errorf("%s: access-log line %v, want %v: %s", tt.name, ok, tt.wantLine, line)
				}
				if ok && (!strings.Contains(line, fmt.Sprintf(`"status":%d`, tt.status)) || !strings.Contains(line, `"ip":"127.0.0.1"`)) {
					t.Errorf("%s: line %s, want status %d and the client's address", tt.name, line, tt.status)
				}
			}
		})
	}
}

// heldLogs is a request-log store that takes no entry until released.
type heldLogs struct {
	docsapi.RequestLogService
	release chan struct{}
}

func (s *heldLogs) CreateRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	<-s.release
	return s.RequestLogService.CreateRequestLogs(ctx, logs)
}

// TestAccessLogOfDroppedEntries: a request whose entry the full queue drops
// is written to the access log instead, so that its request id still
// leaves a trace.
func TestAccessLogOfDroppedEntries(t *testing.T) {
	held := &heldLogs{release: make(chan struct{})}
	e := newEnv(t, func(s *dhttp.Server) {
		held.RequestLogService = s.RequestLogService
		s.RequestLogService = held
	})
	t.Cleanup(func() { close(held.release) }) // before the server closes
	key, _ := e.newKey(100_000, "*")
	id := e.createResource(key, "logged")
	h := e.srv.Handler()
	// More than the queue (10,000) and the batch the writer holds (500).
	const total = 11_000
	for range total {
		r := httptest.NewRequest("GET", "/v1/resources/"+id, nil)
		r.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	lines := 0
	for _, line := range accessLines(t, e.logs.String()) {
		if strings.Contains(line, `"status":200`) && strings.Contains(line, `"method":"GET"`) {
			lines++
		}
	}
	var dropped int
	for _, line := range strings.Split(string(e.do("GET", "/metrics", "", nil).want(t, 200).body), "\n") {
		fmt.Sscanf(line, "docsapi_request_log_dropped_total %d", &dropped)
	}
	if dropped < total-10_000-500 || lines != dropped {
		t.Errorf("%d access-log lines of GETs, %d entries dropped: want one line for each", lines, dropped)
	}
}
