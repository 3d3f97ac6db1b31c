package http_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// get fetches path without a key and returns the status, headers and body.
func (e *env) get(path string) (int, http.Header, string) {
	e.t.Helper()
	resp, err := http.Get(e.url + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestDocsServing(t *testing.T) {
	e := newEnv(t)
	paths, _ := e.srv.DocsMarkdown()
	if len(paths) != 10 {
		t.Errorf("%d pages, want 10", len(paths))
	}
	type check struct {
		path, contentType string
		status            int
		contains          string
	}
	checks := []check{
		{"/docs/errors", "text/html; charset=utf-8", 200, `<tr id="rate_limit_exceeded">`},
		{"/docs/nope", "text/html; charset=utf-8", 404, "Page not found"},
		{"/docs/errors/more", "text/html; charset=utf-8", 404, "Page not found"},
		{"/docs/assets/docs.css", "text/css; charset=utf-8", 200, "prefers-color-scheme: dark"},
		{"/docs/assets/chroma.css", "text/css; charset=utf-8", 200, ".chroma"},
		{"/docs/assets/docs.js", "text/javascript; charset=utf-8", 200, "search-index"},
		{"/docs/assets/favicon.svg", "image/svg+xml", 200, "<svg"},
		{"/docs/assets/layout.html", "text/html; charset=utf-8", 404, "Page not found"},
		{"/docs/assets/missing.js", "text/html; charset=utf-8", 404, "Page not found"},
		// Not clean paths are refused before routing, like every path of the
		// API, but for the pages' roots that a browser user may type.
		// (The redirect followed; the Dashboard's is in TestDashboardScopes.)
		{"/docs/", "text/html; charset=utf-8", 200, `<a class="dashboard" href="/dashboard">Dashboard</a>`},
		{"/docs/errors/", "application/json; charset=utf-8", 404, `"code":"resource_missing"`},
		{"/v1/resources/", "application/json; charset=utf-8", 404, `"code":"resource_missing"`},
	}
	for _, p := range paths {
		checks = append(checks, check{p, "text/html; charset=utf-8", 200, `<a class="dashboard" href="/dashboard">Dashboard</a>`})
	}
	for _, c := range checks {
		status, h, body := e.get(c.path)
		if status != c.status || h.Get("Content-Type") != c.contentType || !strings.Contains(body, c.contains) {
			t.Errorf("GET %s: %d %q, want %d %q containing %q", c.path, status, h.Get("Content-Type"), c.status, c.contentType, c.contains)
		}
		if strings.HasPrefix(c.contentType, "text/html") && !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", c.path, h.Get("Content-Security-Policy"))
		}
	}
	// Other methods are unknown routes, as everywhere in the API.
	e.do("POST", "/docs", "", nil).wantError(t, 404, "resource_missing", "")

	// The pages need no key and are not in the request log.
	r := e.do("GET", "/v1/requests", e.rootKey, nil).want(t, 200)
	if strings.Contains(string(r.body), "/docs") {
		t.Errorf("docs requests are in the request log: %s", r.body)
	}
}
