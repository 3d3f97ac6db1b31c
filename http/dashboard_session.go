package http

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/docsapi/docsapi"
)

// dashLoginPage is the sign-in page's data.
type dashLoginPage struct {
	Token   string // the sign-in form's CSRF token
	Next    string
	Ended   bool
	SignOut bool
	Error   *errorObject
}

// handleDashLogin serves GET /dashboard/login. It shows the sign-in form,
// with a fresh CSRF token in a cookie and in the form (there is no session to
// hold it yet).
func (s *Server) handleDashLogin(w http.ResponseWriter, r *http.Request) {
	if _, err := s.dashSession(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	s.renderLogin(w, r, http.StatusOK, dashLoginPage{Next: q.Get("next"), Ended: q.Has("ended"), SignOut: q.Has("signed_out")})
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, p dashLoginPage) {
	p.Token = docsapi.RandomBase62(32)
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: p.Token, Path: "/dashboard/login", MaxAge: 3600,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
	s.render(w, r, status, "login", "Sign in", p)
}

// handleDashLoginPost serves POST /dashboard/login. It checks the key exactly
// as an API call would (the same authentication, per-IP failure limit and
// rate limit), then starts a session. The secret goes no further than this
// handler.
func (s *Server) handleDashLoginPost(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	p := dashLoginPage{Next: r.PostFormValue("next")}
	fail := func(err error) {
		status, obj := s.dashErrorObject(w, r, err)
		p.Error = &obj
		s.renderLogin(w, r, status, p)
	}
	c, err := r.Cookie(signInCookie)
	if err != nil || !tokensEqual(r.PostFormValue("csrf_token"), c.Value) {
		fail(docsapi.ParamErrorf(docsapi.EFORBIDDEN, "csrf_token", "The sign-in form expired; please try again."))
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("key"))
	if secret == "" {
		fail(docsapi.ParamErrorf(docsapi.EPARAMMISSING, "key", "Enter an API key to sign in."))
		return
	}
	ar := r.Clone(r.Context())
	ar.Header.Set("Authorization", "Bearer "+secret)
	key, err := s.authenticate(ar)
	if err != nil {
		fail(err)
		return
	}
	st.key, st.source = key, docsapi.SourceDashboard
	if err := s.rateLimit(w, r, key); err != nil {
		fail(err)
		return
	}
	landing := landingPage(key)
	if landing == "" {
		// A session that every page would refuse helps no one.
		fail(docsapi.ParamErrorf(docsapi.EFORBIDDEN, "key", "This API key has none of the scopes a Dashboard page needs: %s, %s, %s or %s.",
			docsapi.ScopeLogsRead, docsapi.ScopeKeysRead, docsapi.ScopeKeysWrite, docsapi.ScopeResourcesRead))
		return
	}
	sess, token := docsapi.NewSession(key)
	if err := s.SessionService.CreateSession(r.Context(), sess); err != nil {
		fail(err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Path: "/dashboard/login", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
	s.setSessionCookie(w, token, 0)
	next := safeNext(p.Next)
	if next == "/dashboard" {
		next = landing
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// landingPage is the first page that key may see, or "" for none.
func landingPage(key *docsapi.APIKey) string {
	switch {
	case key.HasScope(docsapi.ScopeLogsRead):
		return "/dashboard"
	case key.HasScope(docsapi.ScopeKeysRead), key.HasScope(docsapi.ScopeKeysWrite):
		return "/dashboard/keys"
	case key.HasScope(docsapi.ScopeResourcesRead):
		return "/dashboard/resources"
	}
	return ""
}

// safeNext keeps a post-sign-in redirect on the Dashboard.
func safeNext(next string) string {
	// Only a clean path, so that no dot segment or odd byte leads out of
	// /dashboard once the browser resolves it.
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || path.Clean(u.Path) != u.Path ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == '\\' || r == 0x7f }) {
		return "/dashboard"
	}
	if u.Path == "/dashboard" || strings.HasPrefix(u.Path, "/dashboard/") {
		return next
	}
	return "/dashboard"
}

// handleDashLogout serves POST /dashboard/logout.
func (s *Server) handleDashLogout(w http.ResponseWriter, r *http.Request) {
	c, _ := r.Cookie(sessionCookie)
	if err := s.SessionService.DeleteSession(r.Context(), c.Value); err != nil {
		s.dashError(w, r, err)
		return
	}
	s.setSessionCookie(w, "", -1)
	http.Redirect(w, r, "/dashboard/login?signed_out=1", http.StatusSeeOther)
}

// setSessionCookie sets the session's cookie (maxAge 0: until the browser
// closes; the server ends idle sessions) or, with maxAge -1, removes it.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/dashboard", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
}

// secureCookies is true when users reach the server over HTTPS.
func (s *Server) secureCookies() bool {
	return strings.HasPrefix(strings.ToLower(s.PublicURL), "https://")
}
