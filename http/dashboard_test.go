package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
)

// dash is a browser-like client of the Dashboard: a cookie jar, no
// automatic redirects, and the CSRF token of the last page it read.
type dash struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) dashClient() *dash {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &dash{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// send makes a request; a form body is sent url-encoded, from the same origin.
func (d *dash) send(method, path string, form url.Values, headers ...string) *response {
	d.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, d.e.url+path, body)
	if err != nil {
		d.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", d.e.url)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := d.c.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	if m := csrfPattern.FindSubmatch(raw); m != nil {
		d.csrf = string(m[1])
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: raw}
}

func (d *dash) get(path string) *response {
	d.t.Helper()
	return d.send("GET", path, nil)
}

// post sends a form with the CSRF token of the last page read.
func (d *dash) post(path string, form url.Values) *response {
	d.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf_token") {
		form.Set("csrf_token", d.csrf)
	}
	return d.send("POST", path, form)
}

// signIn signs in with secret and fails the test unless it worked.
func (d *dash) signIn(secret string) {
	d.t.Helper()
	d.get("/dashboard/login").want(d.t, 200)
	r := d.post("/dashboard/login", url.Values{"key": {secret}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/dashboard") {
		d.t.Fatalf("sign-in: status %d, Location %q; body %s", r.status, r.header.Get("Location"), r.body)
	}
}

// wantRedirect fails unless r redirects to a location starting with prefix.
func (r *response) wantRedirect(t *testing.T, prefix string) {
	t.Helper()
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), prefix) {
		t.Fatalf("status %d, Location %q; want a redirect to %s", r.status, r.header.Get("Location"), prefix)
	}
}

func (r *response) contains(t *testing.T, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(string(r.body), p) {
			t.Errorf("page does not contain %q", p)
		}
	}
}

func (r *response) lacks(t *testing.T, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(string(r.body), p) {
			t.Errorf("page contains %q", p)
		}
	}
}

var noncePattern = regexp.MustCompile(`<script src="/dashboard/static/dashboard.js" nonce="([^"]+)"`)

func TestDashboardSignInAndHeaders(t *testing.T) {
	e := newEnv(t)
	d := e.dashClient()
	d.get("/dashboard/logs?status=4xx").wantRedirect(t, "/dashboard/login?next=%2Fdashboard%2Flogs%3Fstatus%3D4xx")

	login := d.get("/dashboard/login").want(t, 200)
	r := d.post("/dashboard/login", url.Values{"key": {e.rootKey}, "next": {"/dashboard/logs?status=4xx"}})
	r.wantRedirect(t, "/dashboard/logs?status=4xx")
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "docsapi_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.Path != "/dashboard" {
		t.Fatalf("session cookie = %+v", session)
	}
	if strings.Contains(session.Value, e.rootKey) || len(session.Value) < 40 {
		t.Errorf("session cookie value %q", session.Value)
	}

	logs := d.get("/dashboard/logs").want(t, 200)
	for _, page := range []*response{login, logs} {
		h := page.header
		m := noncePattern.FindSubmatch(page.body)
		if m == nil {
			t.Fatalf("no nonce'd script in %s", page.body)
		}
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'nonce-" + string(m[1]) + "'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q allows inline code", csp)
		}
		for name, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
			"Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff"} {
			if got := h.Get(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if !requestIDPattern.MatchString(h.Get("Request-Id")) {
			t.Errorf("Request-Id = %q", h.Get("Request-Id"))
		}
	}
	if string(noncePattern.FindSubmatch(login.body)[1]) == string(noncePattern.FindSubmatch(logs.body)[1]) {
		t.Error("the nonce is the same on two responses")
	}
	// No inline script or handler anywhere.
	for _, page := range []string{"/dashboard", "/dashboard/errors", "/dashboard/logs", "/dashboard/logs/live", "/dashboard/keys", "/dashboard/resources"} {
		body := string(d.get(page).want(t, 200).body)
		if strings.Count(body, "<script") != 1 || regexp.MustCompile(`(?i)\son[a-z]+=`).MatchString(body) || strings.Contains(body, "style=") {
			t.Errorf("%s has inline script, handlers or styles", page)
		}
	}
	// The page views are in the request log, marked as the Dashboard's.
	view := d.get("/dashboard/keys").want(t, 200)
	entry := e.do("GET", "/v1/requests/"+view.header.Get("Request-Id"), e.rootKey, nil).want(t, 200).json(t)
	if entry["source"] != "dashboard" || entry["path"] != "/dashboard/keys" || entry["status"] != 200.0 {
		t.Errorf("log entry of a page view = %v", entry)
	}
	if strings.Contains(e.logs.String(), e.rootKey) {
		t.Error("the key's secret reached the server's log")
	}
	// Signed in, the sign-in page sends you on.
	d.get("/dashboard/login").wantRedirect(t, "/dashboard")
	// Static assets are served with their types.
	for path, ct := range map[string]string{"/dashboard/static/dashboard.js": "text/javascript; charset=utf-8",
		"/dashboard/static/dashboard.css": "text/css; charset=utf-8", "/dashboard/static/favicon.svg": "image/svg+xml"} {
		if got := d.get(path).want(t, 200).header.Get("Content-Type"); got != ct {
			t.Errorf("%s: Content-Type %q, want %q", path, got, ct)
		}
	}
	d.get("/dashboard/nope").want(t, 404).contains(t, "There is no Dashboard page at /dashboard/nope.")
}

func TestDashboardSignInFailures(t *testing.T) {
	e := newEnv(t, func(s *dhttp.Server) { s.AuthFailureLimit = 2 })
	d := e.dashClient()
	d.get("/dashboard/login")
	d.post("/dashboard/login", url.Values{"key": {""}}).want(t, 400).contains(t, "Enter an API key to sign in.")
	d.post("/dashboard/login", url.Values{"key": {"nonsense"}}).want(t, 401).contains(t, "not of the form sk_live_")
	unknown := docsapi.NewSecret()
	for range 2 {
		d.post("/dashboard/login", url.Values{"key": {unknown}}).want(t, 401).contains(t, "Invalid API key provided.")
	}
	// Failed sign-ins count toward the per-IP limit, as failed API calls do.
	r := d.post("/dashboard/login", url.Values{"key": {e.rootKey}}).want(t, 429)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.do("GET", "/v1/resources", docsapi.NewSecret(), nil).wantError(t, 429, "rate_limit_exceeded", "")
	if strings.Contains(e.logs.String(), unknown) {
		t.Error("a tried secret reached the server's log")
	}

	t.Run("secure cookies over https", func(t *testing.T) {
		e := newEnv(t, func(s *dhttp.Server) { s.PublicURL = "https://api.example.com" })
		d := e.dashClient()
		d.get("/dashboard/login")
		r := d.post("/dashboard/login", url.Values{"key": {e.rootKey}})
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if !c.Secure {
				t.Errorf("cookie %s is not Secure", c.Name)
			}
		}
	})
}

func TestDashboardCSRF(t *testing.T) {
	e := newEnv(t)
	d := e.dashClient()
	d.signIn(e.rootKey)
	d.get("/dashboard/keys").want(t, 200)
	other := e.dashClient()
	other.signIn(e.rootKey)
	other.get("/dashboard/keys")
	create := func(token string, headers ...string) *response {
		form := url.Values{"name": {"csrf"}, "scopes": {"resources:read"}, "csrf_token": {token}}
		return d.send("POST", "/dashboard/keys", form, headers...)
	}
	for _, tc := range []struct {
		name    string
		token   string
		headers []string
	}{
		{"no token", "", nil},
		{"wrong token", "x" + d.csrf[1:], nil},
		{"another session's token", other.csrf, nil},
		{"cross-site origin", d.csrf, []string{"Origin", "https://evil.example"}},
		{"cross-site fetch", d.csrf, []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			create(tc.token, tc.headers...).want(t, 403).contains(t, "permission_denied")
		})
	}
	d.post("/dashboard/logout", url.Values{"csrf_token": {"forged"}}).want(t, 403)
	keys := e.do("GET", "/v1/api_keys", e.rootKey, nil).want(t, 200).json(t)["data"].([]any)
	if len(keys) != 1 {
		t.Fatalf("a refused form created a key: %d keys", len(keys))
	}
	// The sign-in form has its own token, in a cookie of its own.
	fresh := e.dashClient()
	fresh.send("POST", "/dashboard/login", url.Values{"key": {e.rootKey}, "csrf_token": {"guess"}}).want(t, 403)
	create(d.csrf).want(t, 201)
}

func TestDashboardSessionEnds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t.Run("sign-out", func(t *testing.T) {
		d := e.dashClient()
		d.signIn(e.rootKey)
		cookies := d.c.Jar.Cookies(mustURL(t, e.url+"/dashboard"))
		d.get("/dashboard/keys").want(t, 200)
		d.post("/dashboard/logout", nil).wantRedirect(t, "/dashboard/login?signed_out=1")
		d.get("/dashboard/keys").wantRedirect(t, "/dashboard/login")
		// The old cookie, replayed, names no session.
		replay := e.dashClient()
		replay.c.Jar.SetCookies(mustURL(t, e.url+"/dashboard"), cookies)
		replay.get("/dashboard").wantRedirect(t, "/dashboard/login")
	})
	t.Run("key revoked through the API", func(t *testing.T) {
		secret, id := e.newKey(0, "*")
		d := e.dashClient()
		d.signIn(secret)
		d.get("/dashboard/keys").want(t, 200)
		e.do("DELETE", "/v1/api_keys/"+id, e.rootKey, nil).want(t, 200)
		d.get("/dashboard/keys").wantRedirect(t, "/dashboard/login")
		// A live tail signed in with it is refused too.
		d.send("GET", "/dashboard/logs/live", nil, "Accept", "text/event-stream").want(t, 401)
	})
	t.Run("own key revoked in the Dashboard", func(t *testing.T) {
		secret, id := e.newKey(0, "keys:read", "keys:write")
		d := e.dashClient()
		d.signIn(secret)
		d.get("/dashboard/keys/" + id + "/revoke").want(t, 200).contains(t, "revoking it signs you out")
		d.post("/dashboard/keys/"+id+"/revoke", nil).wantRedirect(t, "/dashboard/login?ended=1")
		d.get("/dashboard/keys").wantRedirect(t, "/dashboard/login")
		if e.do("GET", "/v1/api_keys/"+id, e.rootKey, nil).want(t, 200).json(t)["revoked_at"] == nil {
			t.Error("the key is not revoked")
		}
	})
	t.Run("idle for 12 hours", func(t *testing.T) {
		key, err := e.srv.APIKeyService.FindAPIKeyByHash(ctx, docsapi.HashSecret(e.rootKey))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			idle time.Duration
			live bool
		}{{docsapi.SessionIdleTimeout - time.Minute, true}, {docsapi.SessionIdleTimeout + time.Second, false}} {
			ses, token := docsapi.NewSession(key)
			ses.LastSeenAt = ses.LastSeenAt.Add(-tc.idle)
			if err := e.srv.SessionService.CreateSession(ctx, ses); err != nil {
				t.Fatal(err)
			}
			d := e.dashClient()
			d.c.Jar.SetCookies(mustURL(t, e.url+"/dashboard"), []*http.Cookie{{Name: "docsapi_session", Value: token, Path: "/dashboard"}})
			if r := d.get("/dashboard/keys"); tc.live {
				r.want(t, 200)
			} else {
				r.wantRedirect(t, "/dashboard/login?ended=1")
			}
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
