package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
)

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
	if !strings.HasPrefix(got["api_key_id"].(string), "key_") || got["duration_ms"] == nil || got["created_at"] == nil {
		t.Errorf("entry %s", r.body)
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
