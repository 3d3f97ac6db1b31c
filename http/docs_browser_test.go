package http_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/docsapi/docsapi/internal/browsertest"
)

// TestDocsInBrowser drives Chromium through every page of the docs: no
// console error or failed request, every internal link and anchor resolves,
// nothing is wider than a 375 px screen, search finds "idempotency".
// Screenshots at 1280×800 and 375×800 go to browsertest.OutputDir.
func TestDocsInBrowser(t *testing.T) {
	b := browsertest.New(t)
	e := newEnv(t)
	paths, _ := e.srv.DocsMarkdown()
	ids := map[string]map[string]bool{} // page → its element ids
	links := map[string][]string{}      // page → its hrefs
	for _, p := range paths {
		b.Run(t, chromedp.Navigate(e.url+p), chromedp.WaitReady("body"))
		if title := browsertest.Get(t, b, chromedp.Title()); !strings.HasSuffix(title, " · Docs API") {
			t.Errorf("%s: title %q", p, title)
		}
		ids[p] = map[string]bool{}
		for _, id := range browsertest.Get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[id]")].map(e => e.id)`)) {
			ids[p][id] = true
		}
		links[p] = browsertest.Get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href"))`))
		if n := browsertest.Get(t, b, chromedp.Evaluate[int](`document.querySelectorAll(".code .copy").length`)); n == 0 && p != "/docs/api" && p != "/docs/authentication" {
			t.Errorf("%s: no copy button on its code blocks", p)
		}
		name := "docs" + strings.ReplaceAll(strings.TrimPrefix(p, "/docs"), "/", "-")
		t.Logf("%s: %s, %s", p, b.Screenshot(t, name, 1280), b.Screenshot(t, name, 375))
		// At 375 px nothing may stick out sideways (tables and code scroll).
		if w := browsertest.Get(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
			t.Errorf("%s: %d px wide at a 375 px viewport", p, w)
		}
		b.Run(t, chromedp.EmulateViewport(1280, browsertest.Height))
		b.CheckClean(t, p)
	}

	for _, p := range paths {
		for _, href := range links[p] {
			u, err := url.Parse(href)
			if err != nil || u.Host != "" {
				t.Errorf("%s: link %q leaves the site", p, href)
				continue
			}
			target := u.Path
			if target == "" {
				target = p
			}
			switch {
			case target == "/dashboard":
				// The Dashboard is its own app; the docs only link to it.
			case strings.HasPrefix(target, "/docs"):
				if ids[target] == nil {
					t.Errorf("%s: link %q names no page", p, href)
				} else if u.Fragment != "" && !ids[target][u.Fragment] {
					t.Errorf("%s: link %q names no anchor of %s", p, href, target)
				}
			default:
				if status, _, _ := e.get(target); status != 200 {
					t.Errorf("%s: link %q answers %d", p, href, status)
				}
			}
		}
	}

	// Search runs in the page, over titles and headings.
	b.Run(t, chromedp.Navigate(e.url+"/docs"), chromedp.WaitReady("body"),
		chromedp.SendKeys(chromedp.CSS("#search"), "idempotency"), chromedp.WaitVisible(chromedp.CSS("#search-results a")))
	results := browsertest.Get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#search-results a")].map(a => a.getAttribute("href"))`))
	if len(results) == 0 || results[0] != "/docs/idempotency" {
		t.Errorf("search for idempotency found %v", results)
	}
	t.Logf("search: %s", b.Screenshot(t, "docs-search", 1280))
	b.Run(t, chromedp.Click(chromedp.CSS("#search-results a")), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := browsertest.Get(t, b, chromedp.Text(chromedp.CSS("h1"))); h1 != "Idempotency" {
		t.Errorf("the first search result led to %q", h1)
	}

	// An error code or its status finds the code's row.
	for _, q := range []string{"parameter_missing", "429"} {
		b.Run(t, chromedp.Navigate(e.url+"/docs"), chromedp.WaitReady("body"),
			chromedp.SendKeys(chromedp.CSS("#search"), q), chromedp.WaitVisible(chromedp.CSS("#search-results a")))
		results := browsertest.Get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#search-results a")].map(a => a.getAttribute("href"))`))
		want := map[string]string{"parameter_missing": "/docs/errors#parameter_missing", "429": "/docs/errors#rate_limit_exceeded"}[q]
		if !slices.Contains(results, want) {
			t.Errorf("search for %s found %v, want %s among them", q, results, want)
		}
	}

	// A name from the prose's inline code finds the section it is in; Enter
	// goes there and closes the list, which would cover it.
	for q, want := range map[string]string{"Retry-After": "/docs/rate-limits#", "DOCSAPI_PUBLIC_URL": "/docs/errors#", "logs:read": "/docs/"} {
		b.Run(t, chromedp.Navigate(e.url+"/docs"), chromedp.WaitReady("body"),
			chromedp.SendKeys(chromedp.CSS("#search"), q), chromedp.WaitVisible(chromedp.CSS("#search-results a")))
		results := browsertest.Get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#search-results a")].map(a => a.getAttribute("href"))`))
		if !slices.ContainsFunc(results, func(h string) bool { return strings.HasPrefix(h, want) }) {
			t.Errorf("search for %s found %v, want one under %s", q, results, want)
		}
	}
	b.Run(t, chromedp.Navigate(e.url+"/docs/rate-limits"), chromedp.WaitReady("body"),
		chromedp.SendKeys(chromedp.CSS("#search"), "Retry-After"), chromedp.WaitVisible(chromedp.CSS("#search-results a")),
		chromedp.SendKeys(chromedp.CSS("#search"), "\r"), chromedp.WaitNotVisible(chromedp.CSS("#search-results")))

	// An anchor of an error code lands on its row; in dark mode too.
	b.ColorScheme(t, "dark")
	b.Run(t, chromedp.Navigate(e.url+"/docs/errors#rate_limit_exceeded"), chromedp.WaitReady("body"))
	if bg := browsertest.Get(t, b, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); bg != "rgb(13, 17, 23)" {
		t.Errorf("dark mode: body background %s", bg)
	}
	t.Logf("dark: %s", b.Screenshot(t, "docs-errors-dark", 1280))
	b.ColorScheme(t, "")
	b.CheckClean(t, "search and dark mode")

	// The 404 page is a page of the site, not an API error.
	b.Run(t, chromedp.Navigate(e.url+"/docs/no-such-page"), chromedp.WaitReady("body"))
	if h1 := browsertest.Get(t, b, chromedp.Text(chromedp.CSS("h1"))); h1 != "Page not found" {
		t.Errorf("unknown page shows %q", h1)
	}
	// Its own 404 is reported (as a response and as a failed load); nothing else may be.
	for _, p := range b.Problems() {
		if !strings.Contains(p, "404") || !strings.Contains(p, "/docs/no-such-page") {
			t.Errorf("unknown page: %s", p)
		}
	}
}
