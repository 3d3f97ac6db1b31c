package http

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
)

// The Dashboard: server-rendered pages under /dashboard, signed in with an
// API key, acting with exactly that key's account and scopes.

//go:embed dashboard
var dashboardFS embed.FS

// dashboardPages holds each page's template, parsed with the layout.
var dashboardPages = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"time":     dashTime,
		"timePtr":  func(t *time.Time) string { return dashTimePtr(t, "never") },
		"ms":       func(d time.Duration) string { return fmt.Sprintf("%.2f ms", durationMS(d)) },
		"class":    func(status int) string { return fmt.Sprintf("s%dxx", status/100) },
		"scopes":   func(s []string) string { return strings.Join(s, " ") },
		"query":    dashQuery,
		"contains": func(list []string, s string) bool { return slices.Contains(list, s) },
		"rows": func(logs []*docsapi.RequestLog, live bool, stream string) dashRows {
			return dashRows{Logs: logs, Live: live, Stream: stream}
		},
		"routeLogs": routeLogs,
	}
	pages := map[string]*template.Template{}
	names, err := fs.Glob(dashboardFS, "dashboard/templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "dashboard/templates/"), ".html")
		if page == "layout" {
			continue
		}
		pages[page] = template.Must(template.New("").Funcs(funcs).ParseFS(dashboardFS, "dashboard/templates/layout.html", name))
	}
	return pages
}()

func dashTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func dashTimePtr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return dashTime(*t)
}

// dashQuery builds a query string from name, value pairs, leaving out empty
// values, so that links keep a page's filters.
func dashQuery(pairs ...string) template.URL {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return template.URL("?" + q.Encode())
}

// dashRows is a table of log entries; the live tail's starts empty and
// names its stream.
type dashRows struct {
	Logs   []*docsapi.RequestLog
	Live   bool
	Stream string
}

// routeLogs is the logs search for one error group since then: its code
// and its route pattern, as the group is.
func routeLogs(code, route, since string) template.URL {
	return dashQuery("error_code", code, "route", route, "since", since)
}

// Cookie names. The session cookie holds the session's token; the sign-in
// cookie holds the CSRF token of the sign-in form, which has no session yet.
const (
	sessionCookie = "docsapi_session"
	signInCookie  = "docsapi_signin"
)

// dashState is what the Dashboard's middleware learns about a request.
type dashState struct {
	nonce   string
	session *docsapi.Session // nil on the sign-in page
}

type dashStateKey struct{}

func dashStateFrom(ctx context.Context) *dashState {
	ds, _ := ctx.Value(dashStateKey{}).(*dashState)
	return ds
}

// dashPage is what every template receives.
type dashPage struct {
	Title string
	Nav   string
	Nonce string
	CSRF  string
	Key   *docsapi.APIKey
	Home  string // the first page that Key may see
	Data  any
}

func (s *Server) registerDashboard() {
	static, err := fs.Sub(dashboardFS, "dashboard/static")
	if err != nil {
		panic(err)
	}
	s.mux.HandleFunc("GET /dashboard/static/{name...}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if fi, err := fs.Stat(static, name); err != nil || fi.IsDir() {
			// The contract's 404, not FileServer's plain text.
			s.Error(w, r, unrecognizedURL(r))
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeFileFS(w, r, static, name)
	})
	for _, rt := range []route{
		{method: "GET", path: "/dashboard/login", handler: s.handleDashLogin},
		{method: "POST", path: "/dashboard/login", handler: s.handleDashLoginPost},
		{method: "POST", path: "/dashboard/logout", scope: dashSignedIn, handler: s.handleDashLogout},
		{method: "GET", path: "/dashboard", scope: docsapi.ScopeLogsRead, handler: s.handleDashOverview},
		{method: "GET", path: "/dashboard/errors", scope: docsapi.ScopeLogsRead, handler: s.handleDashErrors},
		{method: "GET", path: "/dashboard/logs", scope: docsapi.ScopeLogsRead, handler: s.handleDashLogs},
		{method: "GET", path: "/dashboard/logs/live", scope: docsapi.ScopeLogsRead, handler: s.handleDashLive},
		{method: "GET", path: "/dashboard/logs/{id}", scope: docsapi.ScopeLogsRead, kind: "request", handler: s.handleDashLog},
		// The list, the creation form, or both.
		{method: "GET", path: "/dashboard/keys", scope: docsapi.ScopeKeysRead, orScope: docsapi.ScopeKeysWrite, handler: s.handleDashKeys},
		{method: "POST", path: "/dashboard/keys", scope: docsapi.ScopeKeysWrite, handler: s.handleDashCreateKey},
		{method: "GET", path: "/dashboard/keys/{id}/revoke", scope: docsapi.ScopeKeysWrite, kind: "API key", handler: s.handleDashRevokeKey},
		{method: "POST", path: "/dashboard/keys/{id}/revoke", scope: docsapi.ScopeKeysWrite, kind: "API key", handler: s.handleDashRevokeKeyPost},
		{method: "GET", path: "/dashboard/resources", scope: docsapi.ScopeResourcesRead, handler: s.handleDashResources},
		{method: "GET", path: "/dashboard/resources/{id}", scope: docsapi.ScopeResourcesRead, kind: "resource", handler: s.handleDashResource},
		// Anything else under /dashboard is an HTML 404, not the API's JSON.
		{path: "/dashboard/", scope: dashSignedIn, handler: func(w http.ResponseWriter, r *http.Request) {
			s.dashError(w, r, docsapi.Errorf(docsapi.ENOTFOUND, "There is no Dashboard page at %s.", r.URL.Path))
		}},
	} {
		s.mux.Handle(strings.TrimSpace(rt.method+" "+rt.path), s.dashboard(rt))
	}
}

// dashMaxFormBytes bounds a Dashboard form's body.
const dashMaxFormBytes = 64 << 10

// dashSignedIn is the "scope" of pages that any signed-in key may see.
const dashSignedIn = "signed-in"

// dashboard wraps a page: security headers, then (except for sign-in) the
// session, CSRF token, rate limit and scope, in the API's order.
func (s *Server) dashboard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ds := &dashState{nonce: docsapi.RandomBase62(22)}
		r = r.WithContext(context.WithValue(r.Context(), dashStateKey{}, ds))
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+ds.nonce+"'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		// Pages show account data, and once a new key's secret.
		h.Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost && !sameOrigin(r) {
			s.dashError(w, r, docsapi.Errorf(docsapi.EFORBIDDEN, "This form was sent from another site; reload the page and try again."))
			return
		}
		// The Dashboard's forms are small; net/http alone would read 10 MB.
		r.Body = http.MaxBytesReader(w, r.Body, dashMaxFormBytes)
		if rt.scope == "" {
			rt.handler(w, r)
			return
		}
		sess, err := s.dashSession(r)
		if err != nil {
			if docsapi.ErrorCode(err) != docsapi.EUNAUTHORIZED {
				s.dashError(w, r, err)
			} else if wantsEventStream(r) {
				// EventSource cannot follow a redirect to a page; the
				// script reloads and lands on the sign-in page.
				http.Error(w, "signed out", http.StatusUnauthorized)
			} else {
				s.redirectToSignIn(w, r)
			}
			return
		}
		ds.session = sess
		st := stateFrom(r.Context())
		st.key = sess.Key
		st.source = docsapi.SourceDashboard
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.dashError(w, r, docsapi.Errorf(docsapi.EPARAMINVALID, "The form could not be read."))
				return
			}
			if !tokensEqual(r.PostForm.Get("csrf_token"), sess.CSRFToken) {
				s.dashError(w, r, docsapi.ParamErrorf(docsapi.EFORBIDDEN, "csrf_token", "This form has expired or did not come from the Dashboard; reload the page and try again."))
				return
			}
		}
		if err := s.rateLimit(w, r, sess.Key); err != nil {
			s.dashError(w, r, err)
			return
		}
		if rt.scope != dashSignedIn && !sess.Key.HasScope(rt.scope) && (rt.orScope == "" || !sess.Key.HasScope(rt.orScope)) {
			need := rt.scope
			if rt.orScope != "" {
				need += " or " + rt.orScope
			}
			s.dashError(w, r, docsapi.Errorf(docsapi.EFORBIDDEN, "This page needs the scope %s, which the key you signed in with (%s…) does not have.", need, sess.Key.Prefix))
			return
		}
		if id := r.PathValue("id"); rt.kind != "" && !docsapi.WellFormedID(id) {
			s.dashError(w, r, docsapi.NotFound(rt.kind, id))
			return
		}
		rt.handler(w, r)
	})
}

// sameOrigin refuses cross-site form posts where the browser says where
// they came from; the CSRF token is the check that does not depend on it.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return r.Header.Get("Sec-Fetch-Site") == "" || r.Header.Get("Sec-Fetch-Site") == "same-origin"
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// tokensEqual compares CSRF tokens in constant time, so that timing tells
// nothing of the expected token; an empty token never matches.
func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// wantsEventStream reports whether the request is the Live page's
// EventSource rather than a page load: it can follow no redirect.
func wantsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// dashSession returns the request's live session, with its key.
func (s *Server) dashSession(r *http.Request) (*docsapi.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "Sign in to use the Dashboard.")
	}
	sess, err := s.SessionService.FindSessionByToken(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	if sess.Key == nil || sess.Key.RevokedAt != nil {
		return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "The key of this session was revoked.")
	}
	return sess, nil
}

// redirectToSignIn sends a visitor without a live session to the sign-in
// form, with the page to return to after it.
func (s *Server) redirectToSignIn(w http.ResponseWriter, r *http.Request) {
	var q []string
	if _, err := r.Cookie(sessionCookie); err == nil {
		// The cookie names a session that ended: say so, and drop it.
		q = append(q, "ended=1")
		s.setSessionCookie(w, "", -1)
	}
	if r.Method == http.MethodGet && r.URL.Path != "/dashboard" {
		q = append(q, "next="+url.QueryEscape(r.URL.RequestURI()))
	}
	target := "/dashboard/login"
	if len(q) > 0 {
		target += "?" + strings.Join(q, "&")
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// render writes a page with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	ds := dashStateFrom(r.Context())
	p := dashPage{Title: title, Nav: page, Nonce: ds.nonce, Data: data, Home: "/dashboard"}
	if ds.session != nil {
		p.Key, p.CSRF = ds.session.Key, ds.session.CSRFToken
		if home := landingPage(ds.session.Key); home != "" {
			p.Home = home
		}
	}
	var buf bytes.Buffer
	if err := dashboardPages[page].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.logger(r.Context()).Error("render dashboard page", slog.String("page", page), slog.String("error", err.Error()))
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("Internal error; support can trace it with the Request-Id header.\n")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// dashErrorPage is the error page's data: the error object as the API
// would return it.
type dashErrorPage struct {
	Status int
	Error  errorObject
}

// dashError writes err as an HTML page holding the API's error object.
func (s *Server) dashError(w http.ResponseWriter, r *http.Request, err error) {
	status, obj := s.dashErrorObject(w, r, err)
	s.render(w, r, status, "error", http.StatusText(status), dashErrorPage{Status: status, Error: obj})
}

// dashListParams reads a page's cursors and limit like the API's lists do,
// with the page's own default limit.
func dashListParams(r *http.Request, limit int) (docsapi.ListParams, error) {
	p, err := parseListParams(r)
	if !r.URL.Query().Has("limit") {
		p.Limit = limit
	}
	return p, err
}

// dashPager holds the links to the pages next to one, keeping its filters.
type dashPager struct{ Newer, Older template.URL }

// newDashPager links the pages older and newer than items. A page read
// towards newer objects (ending_before) always has an older one, and one
// read from starting_after a newer one; otherwise more says.
func newDashPager[T any](r *http.Request, p docsapi.ListParams, items []T, more bool, id func(T) string) dashPager {
	var pg dashPager
	if len(items) == 0 {
		return pg
	}
	link := func(param, cursor string) template.URL {
		q := r.URL.Query()
		q.Del("starting_after")
		q.Del("ending_before")
		q.Set(param, cursor)
		return template.URL(r.URL.Path + "?" + q.Encode())
	}
	_, _, backwards := p.Cursor()
	if backwards || more {
		pg.Older = link("starting_after", id(items[len(items)-1]))
	}
	if backwards && more || p.StartingAfter != "" {
		pg.Newer = link("ending_before", id(items[0]))
	}
	return pg
}

// dashErrorObject turns err into a status and the error object exactly as
// the API would return it (through renderError, which logs internal causes
// and notes the error for the request log), and sets a 429's Retry-After.
func (s *Server) dashErrorObject(w http.ResponseWriter, r *http.Request, err error) (int, errorObject) {
	setRetryAfter(w, err)
	status, body := s.renderError(r, err)
	return status, *apiError(body)
}
