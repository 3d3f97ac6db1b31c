package http_test

import (
	"strings"
	"testing"

	dhttp "github.com/docsapi/docsapi/http"
)

// TestDocURLUnderPublicURL checks doc_url over real HTTP when
// DOCSAPI_PUBLIC_URL is set; wantError checks the path form everywhere else.
func TestDocURLUnderPublicURL(t *testing.T) {
	e := newEnv(t, func(s *dhttp.Server) { s.PublicURL = "https://api.example.com/" })
	tests := []struct {
		name, method, path, key string
		body                    any
		status                  int
		code, param             string
	}{
		{"missing name", "POST", "/v1/resources", e.rootKey, map[string]any{"name": ""}, 400, "parameter_missing", "name"},
		{"no key", "GET", "/v1/resources", "", nil, 401, "authentication_failed", ""},
		{"unknown route", "GET", "/v1/nothing", e.rootKey, nil, 404, "resource_missing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.key, tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.status, r.body)
			}
			got := r.json(t)["error"].(map[string]any)["doc_url"]
			if want := "https://api.example.com/docs/errors#" + tt.code; got != want {
				t.Errorf("doc_url = %v, want %s", got, want)
			}
		})
	}
}

// TestDocsExamplesUnderPublicURL: a server with a public URL shows it in the
// docs' examples instead of make run's local address.
func TestDocsExamplesUnderPublicURL(t *testing.T) {
	for _, tc := range []struct{ public, want string }{
		{"", "http://127.0.0.1:8080/v1/resources"},
		{"https://api.example.com/", "https://api.example.com/v1/resources"},
	} {
		t.Run(tc.public, func(t *testing.T) {
			e := newEnv(t, func(s *dhttp.Server) { s.PublicURL = tc.public })
			status, _, body := e.get("/docs/authentication")
			if status != 200 || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, page lacks %s", status, tc.want)
			}
			if tc.public != "" && strings.Contains(body, "127.0.0.1:8080") {
				t.Error("the page still shows 127.0.0.1:8080")
			}
		})
	}
}
