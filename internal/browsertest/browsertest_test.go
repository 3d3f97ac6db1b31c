package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docsapi/docsapi/internal/browsertest"
)

func TestBrowserReportsProblems(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /clean", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>clean</title><link rel="icon" href="data:,"><h1 id="h">Clean</h1>`))
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>broken</title><link rel="icon" href="data:,">` +
			`<img src="/missing.png"><script>console.error("boom")</script>`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/clean"))
	text := browsertest.Get(t, b, chromedp.Text("#h"))
	if text != "Clean" {
		t.Fatalf("text = %q", text)
	}
	b.CheckClean(t, "/clean")
	path := b.Screenshot(t, "browsertest-clean", 375)
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("screenshot %s: %v", path, err)
	}

	b.Run(t, chromedp.Navigate(srv.URL+"/broken"), chromedp.WaitReady("body"))
	b.Run(t, chromedp.Sleep(300*time.Millisecond))
	got := strings.Join(b.Problems(), "\n")
	for _, want := range []string{"boom", "HTTP 404"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q do not mention %q", got, want)
		}
	}
}
