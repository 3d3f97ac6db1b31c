package http_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
)

// TestErrorTable reaches every row of the contract's error table over HTTP.
func TestErrorTable(t *testing.T) {
	e := newEnv(t)
	readOnly, _ := e.newKey(0, docsapi.ScopeResourcesRead)
	limited, _ := e.newKey(1, docsapi.ScopeAll)
	e.do("GET", "/v1/resources", limited, nil).want(t, 200)
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "a"}, "Idempotency-Key", "k1").want(t, 201)

	tests := []struct {
		name         string
		method, path string
		key          string
		body         any
		headers      []string
		status       int
		code, param  string
	}{
		{"missing name", "POST", "/v1/resources", e.rootKey, map[string]any{"name": ""}, nil, 400, docsapi.EPARAMMISSING, "name"},
		{"unknown field", "POST", "/v1/resources", e.rootKey, map[string]any{"name": "x", "colour": "red"}, nil, 400, docsapi.EPARAMINVALID, "colour"},
		{"unknown id", "GET", "/v1/resources/res_nope", e.rootKey, nil, nil, 404, docsapi.ENOTFOUND, "id"},
		{"unknown url", "GET", "/v1/nothing", "", nil, nil, 404, docsapi.ENOTFOUND, ""},
		{"unknown method", "PUT", "/v1/resources", e.rootKey, nil, nil, 404, docsapi.ENOTFOUND, ""},
		{"no key", "GET", "/v1/resources", "", nil, nil, 401, docsapi.EUNAUTHORIZED, ""},
		{"missing scope", "POST", "/v1/resources", readOnly, map[string]any{"name": "x"}, nil, 403, docsapi.EFORBIDDEN, ""},
		{"idempotency conflict", "POST", "/v1/resources", e.rootKey, map[string]any{"name": "b"}, []string{"Idempotency-Key", "k1"}, 409, docsapi.ECONFLICT, "Idempotency-Key"},
		{"rate limited", "GET", "/v1/resources", limited, nil, nil, 429, docsapi.ERATELIMITED, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do(tt.method, tt.path, tt.key, tt.body, tt.headers...).wantError(t, tt.status, tt.code, tt.param)
		})
	}
}

// TestInternalErrorLeaksNothing checks that an unexpected error reaches the
// caller only as api_error, is not stored for idempotency, and that a panic
// leaves the server serving.
func TestInternalErrorLeaksNothing(t *testing.T) {
	var mode string
	e := newEnv(t, func(s *dhttp.Server) {
		dhttp.SetBeforeWork(s, func(ctx context.Context) error {
			switch mode {
			case "error":
				return errors.New("sqlite: SELECT hash FROM api_keys failed at /var/lib/docsapi.db")
			case "panic":
				panic("boom at /var/lib/secret")
			}
			return nil
		})
	})
	for _, m := range []string{"error", "panic"} {
		t.Run(m, func(t *testing.T) {
			mode = m
			r := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "x"})
			r.wantError(t, 500, docsapi.EINTERNAL, "")
			for _, leak := range []string{"sqlite", "SELECT", "/var/lib", "boom", "hash"} {
				if strings.Contains(string(r.body), leak) {
					t.Errorf("body leaks %q: %s", leak, r.body)
				}
			}
			mode = ""
			e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
			// The cause is logged with the request id, for a panic with its stack.
			id := r.header.Get("Request-Id")
			var found, stack bool
			for _, line := range strings.Split(e.logs.String(), "\n") {
				if strings.Contains(line, `"request_id":"`+id+`"`) && strings.Contains(line, `"level":"ERROR"`) {
					found = true
					stack = stack || strings.Contains(line, "goroutine")
				}
			}
			if !found || m == "panic" && !stack {
				t.Errorf("request %s: ERROR logged %v, with stack %v", id, found, stack)
			}
		})
	}
	// Every log line of a request names it.
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		if !strings.Contains(line, `"request_id":"req_`) {
			t.Errorf("log line without request_id: %s", line)
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	_, revokedID := e.newKey(0, docsapi.ScopeAll)
	revoked, _ := e.newKey(0, docsapi.ScopeAll)
	_ = revokedID
	tests := []struct {
		name, header string
	}{
		{"missing", ""},
		{"basic scheme", "Basic " + e.rootKey},
		{"no secret", "Bearer"},
		{"malformed", "Bearer sk_live_short"},
		{"wrong prefix", "Bearer sk_test_" + strings.Repeat("a", 32)},
		{"non-base62", "Bearer sk_live_" + strings.Repeat("-", 32)},
		{"unknown", "Bearer sk_live_" + strings.Repeat("a", 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.header != "" {
				h = []string{"Authorization", tt.header}
			}
			r := e.do("GET", "/v1/resources", "", nil, h...)
			r.wantError(t, 401, docsapi.EUNAUTHORIZED, "")
			if r.header.Get("RateLimit") != "" {
				t.Error("a 401 carries RateLimit headers")
			}
		})
	}
	t.Run("lowercase bearer", func(t *testing.T) {
		e.do("GET", "/v1/resources", "", nil, "Authorization", "bearer "+e.rootKey).want(t, 200)
	})
	t.Run("revoked within a second", func(t *testing.T) {
		e.do("GET", "/v1/resources", revoked, nil).want(t, 200) // now cached
		id := e.do("GET", "/v1/api_keys?limit=1", revoked, nil).want(t, 200).json(t)["data"].([]any)[0].(map[string]any)["id"].(string)
		r := e.do("DELETE", "/v1/api_keys/"+id, e.rootKey, nil).want(t, 200)
		if r.json(t)["revoked_at"] == nil {
			t.Fatalf("revoked_at not set: %s", r.body)
		}
		revokedAt := time.Now()
		time.Sleep(time.Second)
		e.do("GET", "/v1/resources", revoked, nil).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
		if time.Since(revokedAt) > 1500*time.Millisecond {
			t.Errorf("revocation check took %v", time.Since(revokedAt))
		}
	})
}

// TestAuthFailureLimit checks that guessing keys from one address is cut
// off with 429 after the per-IP budget.
func TestAuthFailureLimit(t *testing.T) {
	e := newEnv(t, func(s *dhttp.Server) { s.AuthFailureLimit = 3 })
	guess := "sk_live_" + strings.Repeat("b", 32)
	e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
	for i := 0; i < 3; i++ {
		e.do("GET", "/v1/resources", guess, nil).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
	}
	r := e.do("GET", "/v1/resources", guess, nil)
	r.wantError(t, 429, docsapi.ERATELIMITED, "")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	// A key this instance has just seen is not a guess: it still works.
	e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
	// A missing key is not a guess and still answers 401.
	e.do("GET", "/v1/resources", "", nil).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
}

func TestOrderOfChecks(t *testing.T) {
	e := newEnv(t)
	readOnly, _ := e.newKey(0, docsapi.ScopeResourcesRead)
	limitedRO, _ := e.newKey(1, docsapi.ScopeResourcesRead)
	e.do("GET", "/v1/resources", limitedRO, nil).want(t, 200)
	other := e.newAccount()
	id := e.createResource(e.rootKey, "mine")
	tests := []struct {
		name         string
		method, path string
		key          string
		body         any
		headers      []string
		status       int
		code         string
	}{
		{"404 route before 401", "GET", "/v1/unknown", "", nil, nil, 404, docsapi.ENOTFOUND},
		{"401 before 400", "POST", "/v1/resources", "", "{bad json", nil, 401, docsapi.EUNAUTHORIZED},
		{"401 hides existence", "GET", "/v1/resources/" + id, "", nil, nil, 401, docsapi.EUNAUTHORIZED},
		{"429 before 403", "POST", "/v1/resources", limitedRO, map[string]any{}, nil, 429, docsapi.ERATELIMITED},
		{"403 before 400", "POST", "/v1/resources", readOnly, "{bad json", nil, 403, docsapi.EFORBIDDEN},
		{"403 hides existence", "DELETE", "/v1/resources/" + id, readOnly, nil, nil, 403, docsapi.EFORBIDDEN},
		{"400 idempotency key before body", "POST", "/v1/resources", e.rootKey, "{bad json", []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, docsapi.EPARAMINVALID},
		{"other account is 404", "GET", "/v1/resources/" + id, other, nil, nil, 404, docsapi.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.key, tt.body, tt.headers...)
			if r.status != tt.status || !strings.Contains(string(r.body), `"code":"`+tt.code+`"`) {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	e := newEnv(t)
	id := e.createResource(e.rootKey, "r")
	keys := map[string]string{}
	for _, s := range []string{docsapi.ScopeResourcesRead, docsapi.ScopeResourcesWrite, docsapi.ScopeKeysRead, docsapi.ScopeKeysWrite, docsapi.ScopeLogsRead} {
		keys[s], _ = e.newKey(0, s)
	}
	endpoints := []struct {
		method, path string
		body         any
		scope        string
	}{
		{"GET", "/v1/resources", nil, docsapi.ScopeResourcesRead},
		{"GET", "/v1/resources/" + id, nil, docsapi.ScopeResourcesRead},
		{"POST", "/v1/resources", map[string]any{"name": "n"}, docsapi.ScopeResourcesWrite},
		{"PATCH", "/v1/resources/" + id, map[string]any{"name": "n"}, docsapi.ScopeResourcesWrite},
		{"GET", "/v1/api_keys", nil, docsapi.ScopeKeysRead},
		{"POST", "/v1/api_keys", map[string]any{"name": "k", "scopes": []string{"keys:write"}}, docsapi.ScopeKeysWrite},
		{"GET", "/v1/requests", nil, docsapi.ScopeLogsRead},
	}
	for _, ep := range endpoints {
		for scope, key := range keys {
			t.Run(ep.method+" "+ep.path+" with "+scope, func(t *testing.T) {
				r := e.do(ep.method, ep.path, key, ep.body)
				if scope == ep.scope {
					if r.status >= 300 {
						t.Fatalf("status %d: %s", r.status, r.body)
					}
				} else {
					r.wantError(t, 403, docsapi.EFORBIDDEN, "")
				}
			})
		}
	}
}

func TestServerHeadersAndOps(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
	if got := r.header.Get("RateLimit-Policy"); got != `"default";q=100;w=1` {
		t.Errorf("RateLimit-Policy = %q", got)
	}
	if got := r.header.Get("RateLimit"); !strings.HasPrefix(got, `"default";r=99;t=`) {
		t.Errorf("RateLimit = %q", got)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	// No cache may keep an answer: an account's data, a key's secret, an error.
	for _, a := range []*response{r, e.do("POST", "/v1/api_keys", e.rootKey, map[string]any{"name": "k", "scopes": []string{"*"}}).want(t, 201),
		e.do("GET", "/v1/resources/res_nope", e.rootKey, nil).want(t, 404)} {
		if got := a.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
	}
	if got := e.do("GET", "/healthz", "", nil).want(t, 200); string(got.body) != "{\"status\":\"ok\"}\n" {
		t.Errorf("healthz body %s", got.body)
	}
	m := e.do("GET", "/metrics", "", nil).want(t, 200)
	for _, name := range []string{"docsapi_http_requests_total", "docsapi_http_request_duration_seconds", "docsapi_request_log_queue_depth"} {
		if !strings.Contains(string(m.body), name) {
			t.Errorf("metrics lack %s", name)
		}
	}
	ids := map[string]bool{}
	for i := 0; i < 50; i++ {
		id := e.do("GET", "/healthz", "", nil).header.Get("Request-Id")
		if ids[id] {
			t.Fatalf("request id %s repeated", id)
		}
		ids[id] = true
	}
}

func TestHealthzFailsWhenStorageIsGone(t *testing.T) {
	e := newEnv(t)
	e.closeDB()
	e.do("GET", "/healthz", "", nil).wantError(t, http.StatusInternalServerError, docsapi.EINTERNAL, "")
}

// hangingStorage is a database that accepts the ping and never answers it.
type hangingStorage struct{}

func (hangingStorage) Ping(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestHealthzBoundsTheStorageWait: a database that does not answer fails
// the probe (storagePingTimeout) instead of holding it.
func TestHealthzBoundsTheStorageWait(t *testing.T) {
	t.Parallel() // waits 2 s: beside the other waiting tests, at the end
	e := newEnv(t, func(s *dhttp.Server) { s.Storage = hangingStorage{} })
	e.do("GET", "/healthz", "", nil).wantError(t, http.StatusInternalServerError, docsapi.EINTERNAL, "")
}

// TestMetricsCountEvents checks the counters that operators alert on. Every
// request is counted, those refused before routing too (as "unmatched").
func TestMetricsCountEvents(t *testing.T) {
	e := newEnv(t)
	limited, _ := e.newKey(1, docsapi.ScopeAll)
	e.do("POST", "/v1/resources", limited, map[string]any{"name": "a"}).want(t, 201)
	e.do("GET", "/v1/resources", limited, nil).want(t, 429)
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "a"}, "Idempotency-Key", "m").want(t, 201)
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "a"}, "Idempotency-Key", "m").want(t, 201)
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "b"}, "Idempotency-Key", "m").want(t, 409)
	e.do("GET", "//v1/resources", e.rootKey, nil).want(t, 404)
	e.do("GET", "/v1/nothing", e.rootKey, nil).want(t, 404)
	e.do("GET", "/v1/resources", e.rootKey, nil, "X-Big", strings.Repeat("x", dhttp.MaxHeaderBytes)).want(t, 431)
	e.do("GET", "/docs", "", nil).want(t, 200)
	body := string(e.do("GET", "/metrics", "", nil).want(t, 200).body)
	for _, want := range []string{
		`docsapi_rate_limited_total{limit="api_key"} 1`,
		`docsapi_idempotency_total{outcome="replayed"} 1`,
		`docsapi_idempotency_total{outcome="conflict"} 1`,
		`docsapi_request_log_dropped_total 0`,
		`docsapi_request_log_queue_depth `,
		`docsapi_http_requests_total{route="POST /v1/resources",status="201"} 3`,
		`docsapi_http_requests_total{route="GET /v1/resources",status="429"} 1`,
		`docsapi_http_requests_total{route="unmatched",status="404"} 2`,
		`docsapi_http_requests_total{route="unmatched",status="431"} 1`,
		`docsapi_http_requests_total{route="GET /docs",status="200"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		status       int
		code, param  string
	}{
		{"unclean path", "GET", "//v1/resources", "", nil, 404, docsapi.ENOTFOUND, ""},
		{"dot segments", "POST", "/v1/x/../resources", `{"name":"x"}`, nil, 404, docsapi.ENOTFOUND, ""},
		{"trailing slash", "GET", "/v1/resources/", "", nil, 404, docsapi.ENOTFOUND, ""},
		{"malformed query", "GET", "/v1/resources?limit=%zz", "", nil, 400, docsapi.EPARAMINVALID, ""},
		{"query parameter without a name", "GET", "/v1/resources?=5", "", nil, 400, docsapi.EPARAMINVALID, ""},
		{"repeated query parameter", "GET", "/v1/resources?limit=5&limit=6", "", nil, 400, docsapi.EPARAMINVALID, "limit"},
		{"text body on a read", "GET", "/v1/resources", "hello", []string{"Content-Type", "text/plain"}, 400, docsapi.EPARAMINVALID, "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			e.do(tt.method, tt.path, e.rootKey, body, tt.headers...).wantError(t, tt.status, tt.code, tt.param)
		})
	}
	// A JSON body on a read is ignored.
	e.do("GET", "/v1/resources", e.rootKey, `{"ignored":true}`).want(t, 200)
	if got := e.do("GET", "/v1/resources", "", nil).header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("401 WWW-Authenticate = %q", got)
	}
}

// TestClientGoneIsNotAServerError: a client that hangs up mid-request is
// logged as 499, not as a 5xx that would page someone.
func TestClientGoneIsNotAServerError(t *testing.T) {
	e := newEnv(t, func(s *dhttp.Server) {
		dhttp.SetBeforeWork(s, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
	})
	for _, idem := range []string{"", "gone"} {
		req, _ := http.NewRequest("POST", e.url+"/v1/resources", strings.NewReader(`{"name":"x"}`))
		req.Header.Set("Authorization", "Bearer "+e.rootKey)
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		if _, err := (&http.Client{Timeout: 200 * time.Millisecond}).Do(req); err == nil {
			t.Fatal("the request did not time out")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := e.do("GET", "/v1/requests?status=4xx", e.rootKey, nil).want(t, 200).json(t)
		n := 0
		for _, d := range m["data"].([]any) {
			if d.(map[string]any)["status"] == 499.0 {
				n++
			}
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries with 499, want 2: %v", n, m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(e.do("GET", "/v1/requests?status=5xx", e.rootKey, nil).json(t)["data"].([]any)); n != 0 {
		t.Errorf("%d 5xx entries", n)
	}
	// The abandoned idempotent request left its key free.
	dhttp.SetBeforeWork(e.srv, nil)
	e.do("POST", "/v1/resources", e.rootKey, `{"name":"x"}`, "Idempotency-Key", "gone").want(t, 201)
}

// TestBodyTokenLimit: a body is decoded only when it has at most
// MaxBodyTokens JSON tokens, so that a small body of many values cannot
// cost the server many times its size in memory; bodies of real requests
// stay far below the limit.
func TestBodyTokenLimit(t *testing.T) {
	e := newEnv(t)
	// n empty objects in the array of an unknown field: 2n+7 tokens.
	objects := func(n int, before string) string {
		return `{"name":"x",` + before + `"z":[` + strings.TrimSuffix(strings.Repeat("{},", n), ",") + `]}`
	}
	pairs := map[string]string{}
	for i := range docsapi.MaxMetadataPairs {
		pairs[fmt.Sprintf("key_%02d", i)] = strings.Repeat("v", docsapi.MaxMetadataValueLen)
	}
	tooMany := "more than " + strconv.Itoa(dhttp.MaxBodyTokens) + " JSON values and keys"
	for _, tc := range []struct {
		name   string
		body   any
		status int
		param  string
		want   string
	}{
		{"under the limit: the unknown field", objects((dhttp.MaxBodyTokens-7)/2, ""), 400, "z", "Received unknown parameter: z."},
		{"over the limit", objects(dhttp.MaxBodyTokens/2, ""), 400, "", tooMany},
		{"1 MiB of objects", objects((dhttp.MaxBodyBytes-100)/3, ""), 400, "", tooMany},
		{"a number beyond float64 first", objects(dhttp.MaxBodyTokens, `"n":1e400,`), 400, "", tooMany},
		{"malformed under the limit", `{"name":"x",` + strings.Repeat("[", 100), 400, "", "not valid JSON"},
		{"a full resource", map[string]any{"name": "n", "description": strings.Repeat("d", docsapi.MaxDescriptionLen), "metadata": pairs}, 201, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r := e.do("POST", "/v1/resources", e.rootKey, tc.body)
			runtime.ReadMemStats(&after)
			if tc.status == 201 {
				r.want(t, 201)
				return
			}
			obj := r.wantError(t, tc.status, docsapi.EPARAMINVALID, tc.param)
			if msg, _ := obj["message"].(string); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want it to contain %q", msg, tc.want)
			}
			// The server runs in this process: what the request allocated
			// is bounded by a few copies of the body, not by its tokens.
			if got := after.TotalAlloc - before.TotalAlloc; got > 8*dhttp.MaxBodyBytes {
				t.Errorf("the request allocated %d MB", got>>20)
			}
		})
	}
}

// TestErrorsQuoteLittle: an error quotes at most MaxQuotedLen characters of
// any value of the request, in its message and param, and the request log
// keeps at most MaxLoggedPathBytes of a path, which the log's writes then
// take on every engine.
func TestErrorsQuoteLittle(t *testing.T) {
	e := newEnv(t)
	huge := strings.Repeat("a", 60000)
	// Two-byte characters that do not repeat, which PostgreSQL would
	// compress to fit its index row.
	var twoByte strings.Builder
	for i := range 3000 {
		twoByte.WriteRune(rune(0x100 + i*7919%0x600))
	}
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		status       int
	}{
		{"path id", "GET", "/v1/resources/res_" + huge, nil, 404},
		// Two-byte characters: a path of 2,048 of them overflowed
		// PostgreSQL's index row, and the log's writes failed from then on.
		{"path of two-byte characters", "GET", "/v1/resources/" + url.PathEscape(twoByte.String()), nil, 404},
		{"ill-formed path id", "GET", "/v1/resources/" + huge, nil, 404},
		{"query parameter", "GET", "/v1/resources?" + huge + "=1", nil, 400},
		{"cursor", "GET", "/v1/resources?starting_after=res_" + huge, nil, 400},
		{"body field", "POST", "/v1/resources", `{"name":"x","` + huge + `":1}`, 400},
		{"metadata key", "POST", "/v1/resources", `{"name":"x","metadata":{"` + huge + `":1}}`, 400},
		{"scope", "POST", "/v1/api_keys", `{"name":"x","scopes":["` + huge + `"]}`, 400},
		{"unknown route", "GET", "/v1/" + huge, nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, e.rootKey, tc.body).want(t, tc.status)
			obj := r.json(t)["error"].(map[string]any)
			msg, _ := obj["message"].(string)
			param, _ := obj["param"].(string)
			if len(msg) > 300 || utf8.RuneCountInString(param) > docsapi.MaxQuotedLen {
				t.Errorf("message of %d bytes, param of %d", len(msg), len(param))
			}
			if tc.name == "unknown route" {
				return // before authentication: not in the request log
			}
			entry := e.do("GET", "/v1/requests/"+r.header.Get("Request-Id"), e.rootKey, nil).want(t, 200).json(t)
			if path := entry["path"].(string); len(path) > docsapi.MaxLoggedPathBytes || !utf8.ValidString(path) {
				t.Errorf("logged path of %d bytes, valid UTF-8: %v", len(path), utf8.ValidString(path))
			}
			if logged := entry["error"].(map[string]any)["message"].(string); logged != msg {
				t.Errorf("logged message %q, answered %q", logged, msg)
			}
		})
	}
}
