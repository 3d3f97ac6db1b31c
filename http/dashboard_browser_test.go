package http_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/docsapi/docsapi/internal/browsertest"
)

// TestDashboardBrowser walks the Dashboard in Chromium over a real server
// (on PostgreSQL when DOCSAPI_TEST_HTTP_ENGINE=postgres, as `make test`'s
// second pass runs it): sign in, create a key and read its secret once, find
// that key's failing API call on Errors, by its pasted id and on the live
// tail, revoke keys, and see a session end when its key is revoked. Every
// page must be free of console errors (CSP violations included) and is
// captured at 1280 and 375 pixels wide.
// liveConnected is true once the live tail's stream is open.
const liveConnected = `document.getElementById("live-status").textContent.startsWith("Live")`

func TestDashboardBrowser(t *testing.T) {
	e := newEnv(t)
	// Something to show: a resource whose name and metadata hold HTML,
	// successes, failures and a 429.
	evil := e.do("POST", "/v1/resources", e.rootKey, map[string]any{
		"name": "<script>alert(1)</script>", "description": "<b>not bold</b>",
		"metadata": map[string]any{"team": "<i>finance</i>", "owner": "ops"},
	}).want(t, 201).str(t, "id")
	for i := range 12 {
		e.createResource(e.rootKey, fmt.Sprintf("Quarterly report %d", i))
	}
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{}).want(t, 400)
	e.do("GET", "/v1/resources/res_0000000000", e.rootKey, nil).want(t, 404)
	slow, _ := e.newKey(1, "resources:read")
	for range 3 {
		e.do("GET", "/v1/resources", slow, nil)
	}

	b := browsertest.New(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	var shots []string
	// visit waits for the page named page, checks it is clean, and captures it.
	visit := func(page string) {
		t.Helper()
		b.Run(t, chromedp.WaitVisible(css(`body[data-page="`+page+`"]`)))
		b.CheckClean(t, page)
		for _, w := range []int{1280, 375} {
			shots = append(shots, b.Screenshot(t, "dashboard-"+page, w))
		}
		b.Run(t, chromedp.EmulateViewport(1280, browsertest.Height))
	}
	signIn := func(secret, landing string) {
		t.Helper()
		b.Run(t, chromedp.Navigate(e.url+"/dashboard"), chromedp.WaitVisible(css("#key")),
			chromedp.SendKeys(css("#key"), secret), chromedp.Click(css("#sign-in")))
		b.Run(t, chromedp.WaitVisible(css(`body[data-page="`+landing+`"]`)))
	}

	b.Run(t, chromedp.Navigate(e.url+"/dashboard"))
	visit("login")
	signIn(e.rootKey, "overview")
	visit("overview")

	// Create a key; its secret is shown once, with a copy button.
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/keys"), chromedp.WaitVisible(css("#create-key")),
		chromedp.SendKeys(css("#name"), "browser test: nightly reporting"))
	for _, scope := range []string{"resources:read", "resources:write", "keys:read", "keys:write", "logs:read"} {
		b.Run(t, chromedp.Click(css(`input[name="scopes"][value="`+scope+`"]`)))
	}
	b.Run(t, chromedp.SetValue(css("#rate_limit"), "50"), chromedp.Click(css("#create-key")))
	b.Run(t, chromedp.WaitVisible(css(`body[data-page="key_created"]`)), chromedp.Click(css("button.copy")))
	secret := browsertest.Get(t, b, chromedp.Text(css("#secret")))
	if !strings.HasPrefix(secret, "sk_live_") || len(secret) != 40 {
		t.Fatalf("secret on the page = %q", secret)
	}
	browsertest.Get(t, b, chromedp.Poll[bool](`document.getElementById("copied").textContent !== ""`))
	newKeyID := browsertest.Get(t, b, chromedp.Text(css("#new-key-id")))
	visit("key_created")
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/keys"))
	visit("keys")
	// The key's id shows under its name, for a key met by its id in the log.
	row := css(`tr[data-key="` + newKeyID + `"]`)
	b.Run(t, chromedp.WaitVisible(row+" .key-id"))
	if got, want := browsertest.Get(t, b, chromedp.Text(row+" td:first-child")), "browser test: nightly reporting\n"+newKeyID; got != want {
		t.Errorf("the new key's name cell reads %q, want %q", got, want)
	}
	// A key with every scope, a longer name, its id and usage counts still
	// fits a laptop's screen (1,285 px before its times could wrap).
	if w := browsertest.Get(t, b, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); w > 1280 {
		t.Errorf("the keys page is %d px wide at 1280", w)
	}
	if html := browsertest.Get(t, b, chromedp.Evaluate[string]("document.documentElement.outerHTML")); strings.Contains(html, secret) {
		t.Fatal("the keys page shows the secret again")
	}

	// A failing API call with the new key, from a plain HTTP client.
	failed := e.do("POST", "/v1/resources", secret, map[string]any{"name": " "}).header.Get("Request-Id")

	// On Errors, grouped, with a link to the docs and to the example.
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/errors"),
		chromedp.WaitVisible(css(`tr[data-code="parameter_missing"] a[href="/dashboard/logs/`+failed+`"]`)),
		chromedp.WaitVisible(css(`tr[data-code="parameter_missing"] a[href="/docs/errors#parameter_missing"]`)))
	visit("errors")

	// By pasting its id into the logs search.
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/logs"))
	visit("logs")
	b.Run(t, chromedp.SendKeys(css("#request-id"), failed), chromedp.Submit(css("#request-id")))
	b.Run(t, chromedp.WaitVisible(css(`body[data-page="log"]`)))
	if got := browsertest.Get(t, b, chromedp.Text(css("#request-id"))); got != failed {
		t.Fatalf("landed on %q, want %s", got, failed)
	}
	if got := browsertest.Get(t, b, chromedp.Text(css("#error-object"))); !strings.Contains(got, `"code": "parameter_missing"`) || !strings.Contains(got, `"param": "name"`) {
		t.Errorf("error object on the page = %s", got)
	}
	visit("log")

	// On the live tail, as it happens.
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/logs/live"))
	browsertest.Get(t, b, chromedp.Poll[bool](liveConnected))
	live := e.do("POST", "/v1/resources", secret, map[string]any{}).header.Get("Request-Id")
	b.Run(t, chromedp.WaitVisible(css(`#live-rows tr[data-id="`+live+`"]`)))
	visit("live")

	// Resources: names and metadata holding HTML show as text.
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/resources"))
	visit("resources")
	b.Run(t, chromedp.Click(css(`a[href="/dashboard/resources/`+evil+`"]`)))
	b.Run(t, chromedp.WaitVisible(css(`body[data-page="resource"]`)))
	if got := browsertest.Get(t, b, chromedp.Text(css("#resource-name"))); got != "<script>alert(1)</script>" {
		t.Errorf("resource name shows as %q", got)
	}
	visit("resource")

	// Revoking, with a confirmation step.
	_, doomed := e.newKey(0, "logs:read")
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/keys"), chromedp.Click(css(`tr[data-key="`+doomed+`"] a.danger`)))
	visit("key_revoke")
	b.Run(t, chromedp.Click(css("#confirm-revoke")))
	b.Run(t, chromedp.WaitVisible(css("#revoked-notice")), chromedp.WaitVisible(css(`tr[data-key="`+doomed+`"].revoked`)))
	b.CheckClean(t, "revoked")

	// A session signed in with the new key ends when that key is revoked:
	// its open live tail sends it to the sign-in page.
	b.Run(t, chromedp.Click(css(`form[action="/dashboard/logout"] button`)))
	b.Run(t, chromedp.WaitVisible(css(`body[data-page="login"]`)))
	signIn(secret, "overview")
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/logs/live"))
	browsertest.Get(t, b, chromedp.Poll[bool](liveConnected))
	e.do("DELETE", "/v1/api_keys/"+newKeyID, e.rootKey, nil).want(t, 200)
	b.Run(t, chromedp.WaitVisible(css("#session-ended")))
	b.CheckClean(t, "session ended")
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/keys"), chromedp.WaitVisible(css(`body[data-page="login"]`)))
	b.CheckClean(t, "signed out")

	// A page that needs a scope the key lacks says so.
	narrow, _ := e.newKey(0, "resources:read")
	signIn(narrow, "resources")
	b.Run(t, chromedp.Navigate(e.url+"/dashboard/logs"), chromedp.WaitVisible(css(`body[data-page="error"]`)))
	if got := browsertest.Get(t, b, chromedp.Text(css("#error-message"))); !strings.Contains(got, "needs the scope logs:read") {
		t.Errorf("403 page says %q", got)
	}
	for _, p := range b.Problems() {
		// The refusal itself is the only problem: its status, and Chromium's log of it.
		if !strings.Contains(p, "403") || !strings.Contains(p, e.url+"/dashboard/logs") {
			t.Errorf("403 page: %s", p)
		}
	}
	for _, w := range []int{1280, 375} {
		shots = append(shots, b.Screenshot(t, "dashboard-error-403", w))
	}

	for _, s := range shots {
		t.Log("screenshot:", s)
	}
}
