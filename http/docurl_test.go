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

// TestDocsExamplesUnderPublicURL: a server with a public URL shows it in
// every example, the API reference's generated ones included, instead of
// make run's local address, which the prose still names where it means it.
func TestDocsExamplesUnderPublicURL(t *testing.T) {
	e := newEnv(t, func(s *dhttp.Server) { s.PublicURL = "https://api.example.com/" })
	paths, sources := e.srv.DocsMarkdown()
	examples := map[string]int{}
	for i, src := range sources {
		fenced := false
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
				continue
			}
			if fenced && strings.Contains(line, "127.0.0.1:8080") {
				t.Errorf("%s: an example still calls 127.0.0.1:8080: %s", paths[i], line)
			}
			if fenced && strings.Contains(line, "https://api.example.com/v1/") {
				examples[paths[i]]++
			}
		}
		if paths[i] == "/docs/libraries" && !strings.Contains(string(src), "They default to `http://127.0.0.1:8080`") {
			t.Error("/docs/libraries no longer names the libraries' real default")
		}
	}
	for _, p := range []string{"/docs/authentication", "/docs/api"} {
		if examples[p] == 0 {
			t.Errorf("%s: no example calls the public URL", p)
		}
	}
	status, _, body := e.get("/docs/authentication")
	if status != 200 || !strings.Contains(body, "api.example.com") {
		t.Errorf("GET /docs/authentication: %d, without the public URL", status)
	}
}
