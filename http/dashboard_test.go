package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
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
	t    testing.TB
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

// contains fails unless the body holds every part; it returns r so that
// checks chain.
func (r *response) contains(t *testing.T, parts ...string) *response {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(string(r.body), p) {
			t.Errorf("page does not contain %q", p)
		}
	}
	return r
}

// lacks fails if the body holds any of parts.
func (r *response) lacks(t *testing.T, parts ...string) *response {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(string(r.body), p) {
			t.Errorf("page contains %q", p)
		}
	}
	return r
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
	r := d.post("/dashboard/login", url.Values{"key": {docsapi.NewSecret()}}).want(t, 429)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.do("GET", "/v1/resources", docsapi.NewSecret(), nil).wantError(t, 429, "rate_limit_exceeded", "")
	if strings.Contains(e.logs.String(), unknown) {
		t.Error("a tried secret reached the server's log")
	}

	t.Run("a key that no page would let in", func(t *testing.T) {
		e := newEnv(t)
		writeOnly, _ := e.newKey(0, "resources:write")
		d := e.dashClient()
		d.get("/dashboard/login")
		d.post("/dashboard/login", url.Values{"key": {writeOnly}}).want(t, 403).contains(t, "none of the scopes a Dashboard page needs")
		d.get("/dashboard/keys").wantRedirect(t, "/dashboard/login")
	})

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
		{"wrong token", wrongToken(d.csrf), nil},
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
		d.get("/dashboard/keys/"+id+"/revoke").want(t, 200).contains(t, "revoking it signs you out")
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

func TestDashboardKeys(t *testing.T) {
	e := newEnv(t)
	d := e.dashClient()
	d.signIn(e.rootKey)
	d.get("/dashboard/keys").want(t, 200).contains(t, "root", "this session")
	idem := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindSubmatch(d.get("/dashboard/keys").body)
	if idem == nil {
		t.Fatal("the creation form has no idempotency key")
	}
	form := url.Values{"name": {"ci deploys"}, "scopes": {"resources:read", "logs:read"}, "rate_limit": {"7"}, "idempotency_key": {string(idem[1])}}
	r := d.post("/dashboard/keys", form).want(t, 201)
	secret := regexp.MustCompile(`<code id="secret">(sk_live_[0-9A-Za-z]{32})</code>`).FindSubmatch(r.body)
	if secret == nil {
		t.Fatalf("no secret on the page: %s", r.body)
	}
	r.contains(t, "shown only this once", `data-copy="secret"`, "logs:read resources:read", "7 requests per second")
	// The form sent again (a reload) replays the creation, without the secret.
	form.Del("csrf_token")
	d.post("/dashboard/keys", form).want(t, 201).contains(t, `id="already-created"`).lacks(t, string(secret[1]))
	if n := len(e.do("GET", "/v1/api_keys", e.rootKey, nil).want(t, 200).json(t)["data"].([]any)); n != 2 {
		t.Errorf("%d keys after a resent form, want 2", n)
	}
	// The secret works, and is never shown again.
	e.do("GET", "/v1/resources", string(secret[1]), nil).want(t, 200)
	e.do("GET", "/v1/resources", string(secret[1]), nil, "User-Agent", "usage-test").want(t, 200)
	keys := d.get("/dashboard/keys").want(t, 200)
	keys.lacks(t, string(secret[1]))
	keys.contains(t, "ci deploys", string(secret[1][:12])+"…", "7/s")
	// Each key's row shows its id, which the request log names it by.
	for _, k := range e.do("GET", "/v1/api_keys", e.rootKey, nil).want(t, 200).json(t)["data"].([]any) {
		id := regexp.QuoteMeta(k.(map[string]any)["id"].(string))
		if !regexp.MustCompile(`<tr data-key="` + id + `"[^>]*>\s*<td>[^\n]*<code class="key-id">` + id + `</code></td>`).Match(keys.body) {
			t.Errorf("the keys page does not show the id %s in its key's row:\n%s", id, keys.body)
		}
	}
	// Per-key usage in the last hour: the new key made two requests; the
	// count leads to them in the log.
	usage := regexp.MustCompile(`ci deploys<code class="key-id">(key_[0-9A-Za-z]+)</code></td>(?s:.*?)<td class="num"><a href="(/dashboard/logs\?key=key_[0-9A-Za-z]+)" class="key-logs">2</a></td>\s*<td class="num">0</td>`).FindSubmatch(keys.body)
	if usage == nil {
		t.Fatalf("the keys page does not show 2 requests and 0 429s for the new key:\n%s", keys.body)
	}
	if got, want := string(usage[2]), "/dashboard/logs?key="+string(usage[1]); got != want {
		t.Errorf("the new key's count leads to %s, want %s", got, want)
	}
	if rows := regexp.MustCompile(`<tr data-id="req_`).FindAll(d.get(string(usage[2])).want(t, 200).body, -1); len(rows) != 2 {
		t.Errorf("the key's requests in the log: %d rows, want 2", len(rows))
	}
	if strings.Contains(e.logs.String(), string(secret[1])) {
		t.Error("a new key's secret reached the server's log")
	}

	// The API's validation, as a form error that keeps what was typed.
	for _, tc := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"name": {""}, "scopes": {"logs:read"}}, 400, "Missing required parameter: name."},
		{url.Values{"name": {"x"}}, 400, "Missing required parameter: scopes."},
		{url.Values{"name": {"kept name"}, "scopes": {"logs:read"}, "rate_limit": {"lots"}}, 400, "Invalid rate_limit"},
		{url.Values{"name": {"x"}, "scopes": {"everything"}}, 400, "Unknown scope"},
	} {
		r := d.post("/dashboard/keys", tc.form).want(t, tc.status)
		r.contains(t, tc.want, `id="form-error"`)
		if name := tc.form.Get("name"); name != "" {
			r.contains(t, `value="`+name+`"`)
		}
	}
}

func TestDashboardScopes(t *testing.T) {
	e := newEnv(t)
	readOnly, _ := e.newKey(0, "resources:read")
	d := e.dashClient()
	// Typed with a trailing slash, the Dashboard's root redirects to it,
	// where the API's unclean paths are a 404.
	if r := d.get("/dashboard/"); r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/dashboard" {
		t.Errorf("GET /dashboard/: %d, Location %q", r.status, r.header.Get("Location"))
	}
	d.send("POST", "/dashboard/", url.Values{}).want(t, 404)
	d.get("/dashboard/login")
	// A key without logs:read lands on a page it may see.
	d.post("/dashboard/login", url.Values{"key": {readOnly}}).wantRedirect(t, "/dashboard/resources")
	// The navigation offers only the pages that the key may see.
	d.get("/dashboard/resources").want(t, 200).contains(t, `<a href="/dashboard/resources"`, `<a href="/docs"`).
		lacks(t, `<a href="/dashboard"`, `<a href="/dashboard/errors"`, `<a href="/dashboard/logs`, `<a href="/dashboard/keys"`)
	for _, page := range []struct{ path, scope string }{
		{"/dashboard", "logs:read"}, {"/dashboard/errors", "logs:read"}, {"/dashboard/logs", "logs:read"},
		{"/dashboard/logs/live", "logs:read"}, {"/dashboard/keys", "keys:read or keys:write"},
	} {
		// Its way back leads to a page the key may see.
		d.get(page.path).want(t, 403).contains(t, "This page needs the scope "+page.scope, "permission_denied", `href="/docs/errors#permission_denied"`,
			`<a href="/dashboard/resources" id="back">`)
	}
	d.get("/dashboard/resources")
	d.post("/dashboard/keys", url.Values{"name": {"x"}, "scopes": {"resources:read"}}).want(t, 403).contains(t, "keys:write")

	// A key may grant only the scopes it holds: the API's rule, in the form.
	keyAdmin, _ := e.newKey(0, "keys:read", "keys:write")
	k := e.dashClient()
	k.signIn(keyAdmin)
	k.get("/dashboard/keys").want(t, 200).contains(t, `value="logs:read" disabled`, `<a href="/dashboard/keys"`).
		lacks(t, `<a href="/dashboard/errors"`, `<a href="/dashboard/resources"`)
	k.post("/dashboard/keys", url.Values{"name": {"escalate"}, "scopes": {"logs:read"}}).want(t, 403).contains(t, "cannot grant scopes", "param <code>scopes</code>")
	k.post("/dashboard/keys", url.Values{"name": {"ok"}, "scopes": {"keys:read"}}).want(t, 201)
}

// TestDashboardKeyPagesShowOnlyWhatTheKeyMayRead: the keys page, also when
// a failed creation renders it, lists keys only for a key with keys:read,
// and their usage (from the request log) only with logs:read as well; a key
// with keys:write alone gets the form. The revocation's confirmation shows a
// key's details only with keys:read, and then refuses a key that the
// session's key may not revoke; without keys:read the revocation refuses.
func TestDashboardKeyPagesShowOnlyWhatTheKeyMayRead(t *testing.T) {
	e := newEnv(t)
	named := func(name string, scopes ...string) (secret, id string) {
		t.Helper()
		r := e.do("POST", "/v1/api_keys", e.rootKey, map[string]any{"name": name, "scopes": scopes}).want(t, 201)
		return r.str(t, "secret"), r.str(t, "id")
	}
	_, secretID := named("payroll-secret-name", "keys:write")
	_, rootID := named("admin-only", "*")
	for _, tc := range []struct {
		name          string
		scopes        []string
		listed, usage bool
	}{
		{"keys:write alone", []string{"keys:write"}, false, false},
		{"keys:read and keys:write", []string{"keys:read", "keys:write"}, true, false},
		{"keys and logs", []string{"keys:read", "keys:write", "logs:read"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret, _ := named("session", tc.scopes...)
			d := e.dashClient()
			d.get("/dashboard/login")
			d.post("/dashboard/login", url.Values{"key": {secret}}).wantRedirect(t, map[bool]string{true: "/dashboard", false: "/dashboard/keys"}[tc.usage])
			page := d.get("/dashboard/keys").want(t, 200).contains(t, `id="create-key"`, `<a href="/dashboard/keys"`)
			failed := d.post("/dashboard/keys", url.Values{"name": {""}, "scopes": {"keys:write"}}).want(t, 400)
			failed.contains(t, `id="form-error"`, `id="create-key"`)
			confirm := d.get("/dashboard/keys/"+secretID+"/revoke").want(t, 200).contains(t, secretID, `id="confirm-revoke"`)
			if tc.listed {
				failed.contains(t, "payroll-secret-name", secretID)
				page.contains(t, "payroll-secret-name")
				confirm.contains(t, "payroll-secret-name")
			} else {
				for _, p := range []*response{page, failed} {
					p.contains(t, `id="keys-hidden"`).lacks(t, "payroll-secret-name", secretID, "data-key=")
				}
				confirm.lacks(t, "payroll-secret-name", "Last used")
			}
			if tc.usage {
				failed.contains(t, "Requests, last hour").lacks(t, `id="usage-hidden"`)
			} else {
				failed.lacks(t, "Requests, last hour", "429s, last hour")
			}
			if tc.listed && !tc.usage {
				failed.contains(t, `id="usage-hidden"`)
			}
			// A key with a scope the session's key lacks: with keys:read,
			// refused before the confirmation, as the revocation would be;
			// without, the confirmation tells nothing of its scopes and the
			// revocation refuses.
			if tc.listed {
				// Not offered in the list, and refused if asked for anyway.
				d.get("/dashboard/keys").want(t, 200).lacks(t, `href="/dashboard/keys/`+rootID+`/revoke"`)
				d.get("/dashboard/keys/"+rootID+"/revoke").want(t, 403).contains(t, "cannot revoke").lacks(t, "admin-only", `id="confirm-revoke"`)
			} else {
				d.get("/dashboard/keys/"+rootID+"/revoke").want(t, 200).lacks(t, "admin-only", "cannot revoke")
				d.post("/dashboard/keys/"+rootID+"/revoke", nil).want(t, 403).contains(t, "cannot revoke")
			}
			victimSecret, victim := named("victim-name", "keys:write")
			e.do("GET", "/v1/api_keys/key_nope", victimSecret, nil).want(t, 403) // authenticated: cached now
			d.get("/dashboard/keys/"+victim+"/revoke").want(t, 200)
			d.post("/dashboard/keys/"+victim+"/revoke", nil).wantRedirect(t, "/dashboard/keys?revoked="+victim)
			// Refused at once by this instance, as after the API's revocation.
			e.do("GET", "/v1/api_keys/key_nope", victimSecret, nil).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
			done := d.get("/dashboard/keys?revoked="+victim).want(t, 200).contains(t, `id="revoked-notice"`, victim)
			if tc.listed {
				done.contains(t, "victim-name")
			} else {
				done.lacks(t, "victim-name", "payroll-secret-name")
			}
			e.do("GET", "/v1/api_keys/"+victim, e.rootKey, nil).want(t, 200).contains(t, `"revoked_at":"`)
		})
	}
}

func TestDashboardIsolation(t *testing.T) {
	e := newEnv(t)
	other := e.newAccount()
	theirResource := e.createResource(other, "theirs")
	theirCall := e.do("POST", "/v1/resources", other, map[string]any{}).header.Get("Request-Id")
	theirKeys := e.do("GET", "/v1/api_keys", other, nil).want(t, 200).json(t)["data"].([]any)
	theirKey := theirKeys[0].(map[string]any)["id"].(string)
	mine := e.createResource(e.rootKey, "mine")

	d := e.dashClient()
	d.signIn(e.rootKey)
	d.get("/dashboard/resources").want(t, 200).contains(t, mine).lacks(t, theirResource)
	d.get("/dashboard/resources/"+theirResource).want(t, 404).contains(t, "No such resource")
	d.get("/dashboard/logs/"+theirCall).want(t, 404).contains(t, "No such request")
	d.get("/dashboard/logs?id="+theirCall).wantRedirect(t, "/dashboard/logs/"+theirCall)
	d.get("/dashboard/logs?path=/v1/resources").want(t, 200).lacks(t, theirCall)
	d.get("/dashboard/errors").want(t, 200).lacks(t, theirCall)
	d.get("/dashboard/keys").want(t, 200).lacks(t, theirKey)
	d.get("/dashboard/keys/"+theirKey+"/revoke").want(t, 404)
	d.get("/dashboard/keys")
	d.post("/dashboard/keys/"+theirKey+"/revoke", nil).want(t, 404).contains(t, "No such API key")
	e.do("GET", "/v1/resources", other, nil).want(t, 200)
	// Ids that cannot be ids are a 404 without a lookup.
	d.get("/dashboard/resources/not-an-id").want(t, 404)
}

func TestDashboardEscaping(t *testing.T) {
	e := newEnv(t)
	const evil = `<script>alert(1)</script>`
	res := e.do("POST", "/v1/resources", e.rootKey, map[string]any{
		"name": evil, "description": `<b onmouseover="alert(2)">bold</b>`,
		"metadata": map[string]any{`"><img src=x onerror=alert(3)>`: `<iframe src="javascript:alert(4)">`},
	}).want(t, 201).str(t, "id")
	e.do("GET", "/v1/resources/%3Cscript%3Ealert(5)%3C%2Fscript%3E", e.rootKey, nil, "User-Agent", `<svg onload=alert(6)>`).want(t, 404)
	e.do("POST", "/v1/api_keys", e.rootKey, map[string]any{"name": evil, "scopes": []string{"logs:read"}}).want(t, 201)

	d := e.dashClient()
	d.signIn(e.rootKey)
	logs := d.get("/dashboard/logs?status=404").want(t, 200)
	id := regexp.MustCompile(`data-id="(req_[0-9A-Za-z]+)"`).FindSubmatch(logs.body)
	if id == nil {
		t.Fatalf("no 404 in the logs: %s", logs.body)
	}
	for _, page := range []string{"/dashboard/resources", "/dashboard/resources/" + res, "/dashboard/logs?status=404",
		"/dashboard/logs/" + string(id[1]), "/dashboard/keys", "/dashboard/errors"} {
		body := d.get(page).want(t, 200).body
		for _, raw := range []string{"<script>alert", "<b onmouseover", "<img src=x", "<iframe", "<svg onload"} {
			if strings.Contains(string(body), raw) {
				t.Errorf("%s holds unescaped %q", page, raw)
			}
		}
	}
	d.get("/dashboard/resources/"+res).contains(t, "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;iframe src=&#34;javascript:alert(4)&#34;&gt;")
	d.get("/dashboard/logs/"+string(id[1])).contains(t, "/v1/resources/&lt;script&gt;alert(5)&lt;/script&gt;", "&lt;svg onload=alert(6)&gt;")
}

func TestDashboardLogs(t *testing.T) {
	e := newEnv(t)
	limited, limitedID := e.newKey(0, "resources:read", "resources:write")
	failed := e.do("POST", "/v1/resources", limited, map[string]any{"name": ""}, "Idempotency-Key", "retry-1", "User-Agent", "logs-test/1.0")
	failed.wantError(t, 400, "parameter_missing", "name")
	failedID := failed.header.Get("Request-Id")
	ok := e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200).header.Get("Request-Id")
	nul := e.do("GET", "/v1/resources/res_a%00b", e.rootKey, nil).header.Get("Request-Id")
	notUTF8 := e.do("GET", "/v1/resources/res_%c3%28", e.rootKey, nil).header.Get("Request-Id")

	d := e.dashClient()
	d.signIn(e.rootKey)
	// A pasted id lands on its page, white space and all.
	d.get("/dashboard/logs?id=+"+failedID+"+").wantRedirect(t, "/dashboard/logs/"+failedID)
	d.get("/dashboard/logs?id=nonsense").want(t, 400).contains(t, "That is not a request id")
	d.get("/dashboard/logs/"+failedID).want(t, 200).contains(t,
		"POST /v1/resources", "400", "retry-1", "logs-test/1.0", "127.0.0.1", limitedID, "api",
		`&#34;code&#34;: &#34;parameter_missing&#34;`, `&#34;message&#34;: &#34;Missing required parameter: name.&#34;`,
		`&#34;param&#34;: &#34;name&#34;`, `&#34;request_id&#34;: &#34;`+failedID+`&#34;`, `&#34;doc_url&#34;: &#34;/docs/errors#parameter_missing&#34;`, `href="/docs/errors#parameter_missing"`)
	d.get("/dashboard/logs/req_0000000000").want(t, 404)

	for _, tc := range []struct {
		query      string
		want, lack []string
	}{
		{"", []string{failedID, ok}, nil},
		{"?status=4xx", []string{failedID}, []string{ok}},
		{"?status=2xx&method=GET&path=/v1/resources", []string{ok}, []string{failedID}},
		// Paths are matched as they were logged, NUL and bad UTF-8 replaced.
		{"?path=/v1/resources/res_a%00b", []string{nul}, []string{ok}},
		{"?path=/v1/resources/res_%c3%28", []string{notUTF8}, []string{nul, ok}},
		{"?source=api", []string{failedID, ok}, []string{"/dashboard/logs/req_0000000000"}},
		{"?source=dashboard", []string{"/dashboard/logs/req_0000000000"}, []string{ok}},
		{"?error_code=parameter_missing", []string{failedID}, []string{ok}},
		{"?key=" + limitedID, []string{failedID}, []string{ok}},
		{"?method=PATCH", nil, []string{failedID, ok}},
		{"?since=2000-01-01T00:00&until=2000-01-02T00:00", nil, []string{failedID, ok}},
		{"?since=" + url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)), []string{failedID, ok}, nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			d.get("/dashboard/logs"+tc.query).want(t, 200).contains(t, tc.want...).lacks(t, tc.lack...)
		})
	}
	for _, bad := range []string{"?status=6xx", "?error_code=nope", "?method=BREW", "?source=cli", "?path=v1", "?key=res_1234567890", "?since=yesterday",
		"?since=2026-01-02T00:00&until=2026-01-01T00:00", "?starting_after=req_0000000000"} {
		d.get("/dashboard/logs"+bad).want(t, 400).contains(t, `id="form-error"`)
	}

	// Cursor pagination keeps the filters.
	for range 3 {
		e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
	}
	first := d.get("/dashboard/logs?limit=2&path=/v1/resources").want(t, 200)
	older := regexp.MustCompile(`href="(/dashboard/logs\?[^"]+)" rel="next"`).FindSubmatch(first.body)
	if older == nil {
		t.Fatalf("no link to older entries: %s", first.body)
	}
	next := strings.ReplaceAll(string(older[1]), "&amp;", "&")
	if !strings.Contains(next, "path=%2Fv1%2Fresources") || !strings.Contains(next, "starting_after=req_") {
		t.Errorf("older link %q", next)
	}
	second := d.get(next).want(t, 200)
	second.contains(t, `rel="prev"`)
	for _, m := range regexp.MustCompile(`data-id="(req_[0-9A-Za-z]+)"`).FindAllSubmatch(first.body, -1) {
		second.lacks(t, string(m[1]))
	}
}

func TestDashboardOverviewAndErrors(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		e.do("POST", "/v1/resources", e.rootKey, map[string]any{}).want(t, 400)
	}
	e.do("GET", "/v1/resources/res_0000000000", e.rootKey, nil).want(t, 404)
	// The same code on another route with a parameter: a group of its own.
	e.do("GET", "/v1/requests/req_0000000000", e.rootKey, nil).want(t, 404)
	e.createResource(e.rootKey, "fine")
	d := e.dashClient()
	d.signIn(e.rootKey)
	over := d.get("/dashboard").want(t, 200)
	over.contains(t, "Last hour", "Last 24 hours", "Requests per minute, by outcome", "Latency per hour, p50 and p99", `class="bar ok"`, `class="bar client"`, `class="line p99"`)
	errs := d.get("/dashboard/errors").want(t, 200)
	errs.contains(t, `data-code="parameter_missing"`, "POST /v1/resources", `href="/docs/errors#parameter_missing"`,
		`href="/docs/errors#resource_missing"`, "GET /v1/resources/{id}", `<td class="num">3</td>`,
		`href="/dashboard/logs?error_code=parameter_missing&amp;route=POST&#43;%2Fv1%2Fresources&amp;since=20`)
	// A group's "all…" lists its requests alone, and the form shows the
	// filters in force: the route, and the time as the input takes it.
	all := regexp.MustCompile(`href="(/dashboard/logs\?error_code=resource_missing&amp;route=GET&#43;%2Fv1%2Fresources%2F%7Bid%7D&amp;since=[^"]+)"`).FindSubmatch(errs.body)
	if all == nil {
		t.Fatalf("no all… link for GET /v1/resources/{id}")
	}
	logs := d.get(html.UnescapeString(string(all[1]))).want(t, 200)
	logs.contains(t, "GET /v1/resources/res_0000000000", `name="route" value="GET /v1/resources/{id}"`)
	logs.lacks(t, "/v1/requests/req_0000000000")
	if !regexp.MustCompile(`name="since" value="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"`).Match(logs.body) {
		t.Errorf("the since filter is not in the datetime-local form: %s", regexp.MustCompile(`name="since"[^>]*`).Find(logs.body))
	}
	row := regexp.MustCompile(`data-code="parameter_missing"(?s:.*?)</tr>`).Find(errs.body)
	if ex := regexp.MustCompile(`href="/dashboard/logs/(req_[0-9A-Za-z]+)"`).FindSubmatch(row); ex == nil {
		t.Error("no example request")
	} else {
		d.get("/dashboard/logs/"+string(ex[1])).want(t, 200).contains(t, "parameter_missing", `href="/dashboard/logs" id="back-to-logs"`)
		// Back to the search it came from, filters kept; never elsewhere.
		d.send("GET", "/dashboard/logs/"+string(ex[1]), nil, "Referer", e.url+"/dashboard/logs?status=4xx&path=%2Fv1%2Fresources").want(t, 200).
			contains(t, `href="/dashboard/logs?path=%2Fv1%2Fresources&amp;status=4xx" id="back-to-logs"`)
		d.send("GET", "/dashboard/logs/"+string(ex[1]), nil, "Referer", "https://evil.example/dashboard/logs?status=4xx").want(t, 200).
			contains(t, `href="/dashboard/logs" id="back-to-logs"`)
	}
	d.get("/dashboard/errors?range=1h").want(t, 200)
	d.get("/dashboard/errors?range=1y").want(t, 400)
	// An id that the log does not hold: why it may not be there.
	d.get("/dashboard/logs/req_0000000000").want(t, 404).contains(t, "No such request: &#39;req_0000000000&#39;", "a 401 or another request without a valid key")
	// A status typed into the URL shows in the form as the one in force.
	d.get("/dashboard/logs?status=404").want(t, 200).contains(t, `<option value="404" selected>404</option>`)
}

// sseEvent is one Server-Sent Event.
type sseEvent struct{ id, event, data string }

// stream opens the live tail; next returns its events one by one.
func (d *dash) stream(query string, headers ...string) (next func() sseEvent, stop func()) {
	d.t.Helper()
	// The deadline only keeps a broken stream from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	req, err := http.NewRequestWithContext(ctx, "GET", d.e.url+"/dashboard/logs/live"+query, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := d.c.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		d.t.Fatalf("stream: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	next = func() sseEvent {
		d.t.Helper()
		var ev sseEvent
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				d.t.Fatalf("stream ended: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "" && ev.event != "":
				return ev
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}
	return next, func() { cancel(); resp.Body.Close() }
}

// until reads events until one with id, failing on any id in refuse.
func until(t *testing.T, next func() sseEvent, id string, refuse ...string) sseEvent {
	t.Helper()
	for {
		ev := next()
		if containsAny(ev.id, refuse) {
			t.Fatalf("the stream sent %s, which its filter excludes", ev.id)
		}
		if ev.id == id {
			return ev
		}
	}
}

func containsAny(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

func TestDashboardLiveTail(t *testing.T) {
	e := newEnv(t)
	secret, keyID := e.newKey(0, "*")
	d := e.dashClient()
	d.signIn(secret)
	d.get("/dashboard/logs/live?status=4xx").want(t, 200).contains(t, `data-stream="/dashboard/logs/live?status=4xx"`, `id="live-rows"`)

	before := e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200).header.Get("Request-Id")
	next, stop := d.stream("")
	defer stop()
	until(t, next, before) // the backlog
	failed := e.do("POST", "/v1/resources", e.rootKey, map[string]any{}, "User-Agent", "tail-test").header.Get("Request-Id")
	ev := until(t, next, failed)
	var entry map[string]any
	if err := json.Unmarshal([]byte(ev.data), &entry); err != nil || ev.event != "request" {
		t.Fatalf("event %+v: %v", ev, err)
	}
	if entry["error_code"] != "parameter_missing" || entry["status"] != 400.0 || entry["user_agent"] != "tail-test" || entry["source"] != "api" {
		t.Errorf("entry = %v", entry)
	}

	t.Run("filtered", func(t *testing.T) {
		next, stop := d.stream("?status=4xx&method=POST")
		defer stop()
		ok := e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200).header.Get("Request-Id")
		bad := e.do("POST", "/v1/resources", e.rootKey, map[string]any{}).want(t, 400).header.Get("Request-Id")
		until(t, next, bad, ok, before)
	})
	t.Run("resumes after Last-Event-ID", func(t *testing.T) {
		next, stop := d.stream("", "Last-Event-ID", before)
		defer stop()
		if ev := next(); ev.id == before {
			t.Errorf("resumed with the entry it had already sent")
		}
	})
	t.Run("logged with the time it took to open", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/dashboard/logs/live", nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := d.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		id := resp.Header.Get("Request-Id")
		if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		open := time.Now()
		time.Sleep(1200 * time.Millisecond)
		cancel()
		resp.Body.Close()
		// Logged once the stream ends, by the next batch of the log.
		for time.Since(open) < 10*time.Second {
			r := e.do("GET", "/v1/requests/"+id, e.rootKey, nil)
			if r.status == 404 {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if ms, _ := r.want(t, 200).json(t)["duration_ms"].(float64); ms >= 1000 {
				t.Errorf("the stream was logged with %.1f ms, its life, not the time it took to open", ms)
			}
			return
		}
		t.Fatalf("the stream %s was never logged", id)
	})
	t.Run("ends with the session", func(t *testing.T) {
		e.do("DELETE", "/v1/api_keys/"+keyID, e.rootKey, nil).want(t, 200)
		for {
			if ev := next(); ev.event == "signed_out" {
				break
			}
		}
	})
}

// TestDashboardReviewFindings pins what a hostile review found: a sign-in's
// next must not lead out of /dashboard, the revoked notice names only a
// revoked key of the account, the form's rate limit fits the key, and form
// bodies are bounded.
func TestDashboardReviewFindings(t *testing.T) {
	e := newEnv(t)
	nexts := []struct{ next, want string }{
		{"/dashboard/logs?status=4xx", "/dashboard/logs?status=4xx"},
		{"/dashboard/../docs", "/dashboard"},
		{"/dashboard/../..//evil.com", "/dashboard"},
		{"/dashboard/../\t/evil.example/phish", "/dashboard"},
		{"//evil.com/dashboard", "/dashboard"},
		{"https://evil.com/dashboard", "/dashboard"},
		{"/dashboard\\..\\docs", "/dashboard"},
	}
	for _, tt := range nexts {
		d := e.dashClient()
		d.get("/dashboard/login").want(t, 200)
		r := d.post("/dashboard/login", url.Values{"key": {e.rootKey}, "next": {tt.next}})
		if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != tt.want {
			t.Errorf("next %q: status %d, Location %q; want %q", tt.next, r.status, loc, tt.want)
		}
	}

	limited, _ := e.newKey(10, docsapi.ScopeKeysRead, docsapi.ScopeKeysWrite)
	d := e.dashClient()
	d.signIn(limited)
	d.get("/dashboard/keys").want(t, 200).contains(t, `max="10" value="10"`)
	d.get("/dashboard/keys?revoked=pwned+by+attacker").want(t, 200).lacks(t, "pwned", `id="revoked-notice"`)
	victim := e.do("POST", "/v1/api_keys", e.rootKey, map[string]any{"name": "old", "scopes": []string{docsapi.ScopeKeysRead}}).want(t, 201).str(t, "id")
	d.get("/dashboard/keys?revoked="+victim).want(t, 200).lacks(t, `id="revoked-notice"`)
	e.do("DELETE", "/v1/api_keys/"+victim, e.rootKey, nil).want(t, 200)
	d.get("/dashboard/keys?revoked="+victim).want(t, 200).contains(t, `id="revoked-notice"`, "Key old (<code>"+victim+"</code>) was revoked.")

	root := e.dashClient()
	root.signIn(e.rootKey)
	root.get("/dashboard/keys").want(t, 200).contains(t, `max="100000" value="100"`)
	big := url.Values{"name": {strings.Repeat("x", dhttp.DashMaxFormBytes+1)}, "scopes": {docsapi.ScopeKeysRead}}
	root.post("/dashboard/keys", big).want(t, 400)
}

// TestDashboardLiveTailsAreBounded: an account may hold only so many open
// streams on an instance; one more is a 429, and a closed one frees its slot.
func TestDashboardLiveTailsAreBounded(t *testing.T) {
	e := newEnv(t)
	d := e.dashClient()
	d.signIn(e.rootKey)
	var stops []func()
	for range dhttp.LiveMaxStreams {
		_, stop := d.stream("")
		stops = append(stops, stop)
	}
	over := d.send("GET", "/dashboard/logs/live", nil, "Accept", "text/event-stream")
	if over.status != http.StatusTooManyRequests || over.header.Get("Retry-After") == "" {
		t.Fatalf("stream %d: status %d, Retry-After %q", dhttp.LiveMaxStreams+1, over.status, over.header.Get("Retry-After"))
	}
	stops[0]()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		// The server notices the closed stream at its next poll.
		req, _ := http.NewRequest("GET", e.url+"/dashboard/logs/live", nil)
		req.Header.Set("Accept", "text/event-stream")
		r, err := d.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed stream's slot was not freed")
		}
	}
	for _, stop := range stops[1:] {
		stop()
	}
}

// wrongToken returns tok with its first character changed, so it never
// equals tok (a fixed first character would, when tok starts with it).
func wrongToken(tok string) string {
	if tok[0] == 'x' {
		return "y" + tok[1:]
	}
	return "x" + tok[1:]
}
