package http

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
)

// dashKeysPage is the keys page's data. The page shows what the session's
// key may read through the API: the list with keys:read, each key's usage
// (from the request log) with logs:read as well.
type dashKeysPage struct {
	Listed  bool // the session's key may list keys
	Usage   bool // and read the request log that the usage columns count
	Keys    []dashKeyRow
	Pager   dashPager
	Scopes  []string // every scope, for the creation form
	Form    dashKeyForm
	Error   *errorObject
	Revoked *docsapi.APIKey // the key just revoked, to confirm it
}

type dashKeyRow struct {
	*docsapi.APIKey
	Requests, RateLimited int
}

// dashKeyForm is what the creation form was sent with, shown again on error.
type dashKeyForm struct {
	Name           string
	Scopes         []string
	RateLimit      string
	IdempotencyKey string
}

// dashKeyCreated is the page that shows a new key's secret, once. A
// replayed creation has no secret to show.
type dashKeyCreated struct {
	Key    apiKeyJSON
	Secret string
}

// handleDashKeys serves GET /dashboard/keys, to a key with keys:read (the
// list) or keys:write (the creation form), or both.
func (s *Server) handleDashKeys(w http.ResponseWriter, r *http.Request) {
	me := stateFrom(r.Context()).key
	page := dashKeysPage{}
	// The notice names only a key of this account that is revoked, so a
	// crafted link cannot make the page announce anything else; without
	// keys:read, by its id alone.
	if id := r.URL.Query().Get("revoked"); docsapi.WellFormedID(id) {
		k, err := s.APIKeyService.FindAPIKeyByID(r.Context(), me.AccountID, id)
		if err == nil && k.RevokedAt != nil {
			page.Revoked = k
			if !me.HasScope(docsapi.ScopeKeysRead) {
				page.Revoked = &docsapi.APIKey{ID: k.ID}
			}
		}
	}
	s.renderKeys(w, r, http.StatusOK, page)
}

// renderKeys shows the keys page: the account's keys, with each one's usage
// in the last hour, as far as the session's key may read them. A failed
// creation renders it too, for a key that may hold keys:write alone.
func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, status int, page dashKeysPage) {
	me := stateFrom(r.Context()).key
	page.Listed = me.HasScope(docsapi.ScopeKeysRead)
	page.Usage = page.Listed && me.HasScope(docsapi.ScopeLogsRead)
	if page.Listed {
		p, err := dashListParams(r, 50)
		if err != nil {
			s.dashError(w, r, err)
			return
		}
		keys, more, err := s.APIKeyService.FindAPIKeys(r.Context(), me.AccountID, p)
		if err != nil {
			s.dashError(w, r, err)
			return
		}
		byKey := map[string]*docsapi.KeyUsage{}
		if page.Usage {
			s.log.Flush(r.Context())
			usage, err := s.RequestLogService.FindKeyUsage(r.Context(), me.AccountID, time.Now().Add(-time.Hour))
			if err != nil {
				s.dashError(w, r, err)
				return
			}
			for _, u := range usage {
				byKey[u.APIKeyID] = u
			}
		}
		for _, k := range keys {
			row := dashKeyRow{APIKey: k}
			if u := byKey[k.ID]; u != nil {
				row.Requests, row.RateLimited = u.Requests, u.RateLimited
			}
			page.Keys = append(page.Keys, row)
		}
		page.Pager = newDashPager(r, p, keys, more, func(k *docsapi.APIKey) string { return k.ID })
	}
	page.Scopes = docsapi.Scopes
	if page.Form.IdempotencyKey == "" {
		page.Form.IdempotencyKey = docsapi.RandomBase62(24)
	}
	if page.Form.RateLimit == "" {
		page.Form.RateLimit = strconv.Itoa(stateFrom(r.Context()).key.GrantedRateLimit())
	}
	s.render(w, r, status, "keys", "API keys", page)
}

// handleDashCreateKey serves POST /dashboard/keys. It creates a key through
// the API's own handler, so the API's rules (scopes and rate limit no more
// than the creating key's) hold here unchanged.
func (s *Server) handleDashCreateKey(w http.ResponseWriter, r *http.Request) {
	form := dashKeyForm{Name: r.PostForm.Get("name"), Scopes: r.PostForm["scopes"], RateLimit: strings.TrimSpace(r.PostForm.Get("rate_limit")),
		IdempotencyKey: r.PostForm.Get("idempotency_key")}
	fields := map[string]any{"name": form.Name, "scopes": form.Scopes}
	if form.Scopes == nil {
		fields["scopes"] = []string{}
	}
	if form.RateLimit != "" {
		if n, err := strconv.Atoi(form.RateLimit); err == nil {
			fields["rate_limit"] = n
		} else {
			fields["rate_limit"] = form.RateLimit // the API explains what is wrong
		}
	}
	// The form's Idempotency-Key makes a resent form (a reload, a double
	// click) replay the first creation instead of making a second key.
	status, body := s.callAPI(w, r, s.handleCreateAPIKey, fields, r.PostForm.Get("idempotency_key"))
	if status != http.StatusCreated {
		s.renderKeys(w, r, status, dashKeysPage{Form: form, Error: apiError(body)})
		return
	}
	var k apiKeyJSON
	if err := json.Unmarshal(body, &k); err != nil {
		s.dashError(w, r, err)
		return
	}
	s.render(w, r, http.StatusCreated, "key_created", "API key created", dashKeyCreated{Key: k, Secret: k.Secret})
}

// dashRevokePage is the confirmation step's data: the key's details only
// for a session whose key may read keys.
type dashRevokePage struct {
	ID  string
	Key *docsapi.APIKey
}

// handleDashRevokeKey serves GET /dashboard/keys/{id}/revoke. It is the
// confirmation step before a revocation. With keys:read it shows the key
// and refuses, as the revocation would, one that the session's key may not
// revoke; without, the id alone, and the revocation decides: refusing here
// would tell which scopes a key it cannot read holds.
func (s *Server) handleDashRevokeKey(w http.ResponseWriter, r *http.Request) {
	me := stateFrom(r.Context()).key
	reader := me.HasScope(docsapi.ScopeKeysRead)
	k, err := s.APIKeyService.FindAPIKeyByID(r.Context(), me.AccountID, r.PathValue("id"))
	if err == nil && reader {
		err = me.CheckRevoke(k)
	}
	if err != nil {
		s.dashError(w, r, err)
		return
	}
	page, title := dashRevokePage{ID: k.ID}, "Revoke "+k.ID
	if reader {
		page.Key, title = k, "Revoke "+k.Name
	}
	s.render(w, r, http.StatusOK, "key_revoke", title, page)
}

// handleDashRevokeKeyPost serves POST /dashboard/keys/{id}/revoke. It revokes
// through the API's own handler. Revoking the key that the session signed in
// with ends the session.
func (s *Server) handleDashRevokeKeyPost(w http.ResponseWriter, r *http.Request) {
	status, body := s.callAPI(w, r, s.handleRevokeAPIKey, map[string]any{}, "")
	if status != http.StatusOK {
		e := apiError(body)
		s.render(w, r, status, "error", http.StatusText(status), dashErrorPage{Status: status, Error: *e})
		return
	}
	id := r.PathValue("id")
	if id == stateFrom(r.Context()).key.ID {
		s.setSessionCookie(w, "", -1)
		http.Redirect(w, r, "/dashboard/login?ended=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/dashboard/keys?revoked="+id, http.StatusSeeOther)
}

// callAPI runs an API handler for a Dashboard form, with fields as its JSON
// body and idemKey (if any) as its Idempotency-Key, and returns the status
// and body that the API would have sent. The rules of the API thus live in
// one place.
func (s *Server) callAPI(w http.ResponseWriter, r *http.Request, h http.HandlerFunc, fields map[string]any, idemKey string) (int, []byte) {
	raw, err := json.Marshal(fields)
	if err != nil {
		return s.renderError(r, err)
	}
	st := stateFrom(r.Context())
	if idemKey != "" {
		if st.idempotencyKey, err = parseIdempotencyKey([]string{idemKey}); err != nil {
			return s.renderError(r, err)
		}
	}
	ar := r.Clone(r.Context())
	ar.Body = io.NopCloser(bytes.NewReader(raw))
	ar.Header.Set("Content-Type", "application/json")
	if st.body, err = readBody(w, ar); err != nil {
		return s.renderError(r, err)
	}
	cw := &captureWriter{header: http.Header{}}
	h(cw, ar)
	return cw.status, cw.body.Bytes()
}

// captureWriter keeps a response instead of sending it.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	return c.body.Write(b)
}

// apiError reads the error object out of an API error response.
func apiError(body []byte) *errorObject {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code == "" {
		return &errorObject{Type: "api_error", Code: docsapi.EINTERNAL, Message: "An unexpected error occurred on our side."}
	}
	return &eb.Error
}
