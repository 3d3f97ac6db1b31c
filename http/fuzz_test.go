package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
)

// The fuzz targets send whole requests to a real server over a real SQLite
// file: whatever the input, the answer is a success or the contract's error
// object, never a 5xx. `make fuzz` runs each for a few seconds; plain
// `go test` runs their seeds.

// fuzzEnv is a server and a key that its rate limit does not slow down.
func fuzzEnv(f *testing.F) (*env, string) {
	e := newEnv(f)
	key, _ := e.newKey(docsapi.MaxRateLimit, docsapi.ScopeAll)
	return e, key
}

// send sends one fuzzed request; inputs that net/http's client refuses to
// send (a control character in a header, say) are skipped.
func fuzzSend(t *testing.T, method, rawURL, key string, body string, headers ...string) *response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Skip("not a request:", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if strings.Contains(err.Error(), "invalid") {
			t.Skip("the client refused it:", err)
		}
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: raw}
	r.wantContract(t)
	return r
}

// wantContract fails unless r is a 2xx or the contract's error object with
// its code's type, and never a 5xx.
func (r *response) wantContract(t testing.TB) {
	t.Helper()
	if r.status >= 500 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if r.status < 400 {
		return
	}
	var body struct {
		Error struct {
			Type, Code, Message string
			RequestID           string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("status %d without an error object: %s", r.status, r.body)
	}
	e := body.Error
	// A replay's body is the first response's, with the first request's id
	// (docs/api.md); its own id is in the header.
	ownID := e.RequestID == r.header.Get("Request-Id") || r.header.Get("Idempotent-Replayed") == "true" && strings.HasPrefix(e.RequestID, "req_")
	class, ok := dhttp.ErrorClasses[e.Code]
	if !ok || class.Type != e.Type || class.Status != r.status || e.Message == "" || !ownID {
		t.Fatalf("status %d with error %+v", r.status, e)
	}
}

// FuzzRequestBody sends fuzzed bodies, content types and Idempotency-Keys
// to every write.
func FuzzRequestBody(f *testing.F) {
	e, key := fuzzEnv(f)
	id := e.createResource(key, "target")
	writes := []struct{ method, path string }{
		{"POST", "/v1/resources"}, {"PATCH", "/v1/resources/" + id}, {"POST", "/v1/api_keys"}, {"DELETE", "/v1/resources/res_missing"},
	}
	json := "application/json"
	for _, seed := range []struct {
		body, ctype, idem string
	}{
		{`{"name":"a"}`, json, ""},
		{`{"name":"a","description":null,"metadata":{"k":"v","gone":null}}`, json, "k1"},
		{`{"name":"  "}`, json, ""},
		{`{"name":"a","metadata":{"":"v"}}`, json, ""},
		{`{"name":"a","metadata":[1]}`, json, ""},
		{`{"name":"k","scopes":["resources:read"],"rate_limit":5}`, json, ""},
		{`{"name":"k","scopes":["*"],"rate_limit":1e400}`, json, ""},
		{`{"name":1}`, json, ""},
		{`{"name":"a"} {}`, json, ""},
		{`{"name":"a\u0000"}`, json, ""},
		{"\xff", json, ""},
		{`[]`, json, ""},
		{`{"name":"a"}`, "text/plain", ""},
		{`{"name":"a"}`, "application/json; charset=utf-8", `"quoted"`},
		{`{"a":{"b":{"c":{"d":[[[[[]]]]]}}}}`, json, ""},
		{"", "", "empty"},
	} {
		for i := range writes {
			f.Add(uint8(i), seed.body, seed.ctype, seed.idem)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body, ctype, idem string) {
		w := writes[int(which)%len(writes)]
		fuzzSend(t, w.method, e.url+w.path, key, body, "Content-Type", ctype, "Idempotency-Key", idem)
	})
}

// FuzzQuery sends fuzzed query strings, cursors among them, to every list.
func FuzzQuery(f *testing.F) {
	e, key := fuzzEnv(f)
	id := e.createResource(key, "cursor")
	lists := []string{"/v1/resources", "/v1/api_keys", "/v1/requests"}
	for _, seed := range []string{"", "limit=1", "limit=100", "limit=0", "limit=101", "limit=-1", "limit=1e3", "limit=%zz",
		"starting_after=" + id, "ending_before=" + id, "starting_after=res_missing", "starting_after=", "starting_after=x",
		"starting_after=res_%FF", "starting_after=" + id + "&ending_before=" + id, "limit=5&limit=6", "=5", "&&", "a=b",
		"status=4xx", "status=404", "status=parameter_missing", "status=9xx", "status=", ";", "limit=1;starting_after=x"} {
		for i := range lists {
			f.Add(uint8(i), seed)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		fuzzSend(t, "GET", e.url+lists[int(which)%len(lists)]+"?"+query, key, "")
	})
}

// FuzzID sends fuzzed ids as path parameters to every route that has one.
func FuzzID(f *testing.F) {
	e, key := fuzzEnv(f)
	id := e.createResource(key, "by id")
	routes := []struct{ method, path string }{
		{"GET", "/v1/resources/"}, {"PATCH", "/v1/resources/"}, {"DELETE", "/v1/resources/"},
		{"GET", "/v1/api_keys/"}, {"GET", "/v1/requests/"},
	}
	for _, seed := range []string{id, "res_missing", "key_missing", "req_missing", "", "res_", "RES_abc", "res_a-b", "res_\xff",
		"res_\x00", "res_" + strings.Repeat("a", 10000), "../resources", "res_a/b", "%2F", "res_a?b", "res_a#b"} {
		for i := range routes {
			f.Add(uint8(i), seed)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, id string) {
		rt := routes[int(which)%len(routes)]
		r := fuzzSend(t, rt.method, e.url+rt.path+url.PathEscape(id), key, "")
		if r.status < 300 && !docsapi.WellFormedID(id) {
			t.Fatalf("%s %q answered %d", rt.method, id, r.status)
		}
	})
}
