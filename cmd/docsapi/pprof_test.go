package main_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestPprof: with DOCSAPI_PPROF_ADDR, serve answers net/http/pprof on that
// listener, and the API's listener still does not know /debug/pprof/.
func TestPprof(t *testing.T) {
	s := serve(t, filepath.Join(t.TempDir(), "docsapi.db"), "DOCSAPI_PPROF_ADDR=127.0.0.1:0")
	prof := pprofURL(t, s)
	cases := []struct {
		url        string
		wantStatus int
		wantBody   string // a part of the body
	}{
		{prof + "/debug/pprof/", 200, "goroutine"},
		{prof + "/debug/pprof/cmdline", 200, "serve"},
		{prof + "/debug/pprof/goroutine?debug=1", 200, "goroutine profile"},
		{prof + "/debug/pprof/profile?seconds=1", 200, ""},
		{prof + "/v1/resources", 404, ""},
		{s.url + "/debug/pprof/", 404, ""},
		{s.url + "/debug/pprof/cmdline", 404, ""},
	}
	for _, c := range cases {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.wantStatus || !strings.Contains(string(body), c.wantBody) {
			t.Errorf("GET %s: %d, body %.200q; want %d with %q", c.url, resp.StatusCode, body, c.wantStatus, c.wantBody)
		}
		if c.wantStatus == 200 && len(body) == 0 {
			t.Errorf("GET %s: empty body", c.url)
		}
	}
}

// pprofURL is the base URL that s logged as "pprof listening".
func pprofURL(t *testing.T, s *server) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "pprof listening" {
			return "http://" + line.Addr
		}
	}
	t.Fatalf("no pprof listening line: %s", s.stderr.String())
	return ""
}
