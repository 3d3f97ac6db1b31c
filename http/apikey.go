package http

import (
	"context"
	"net/http"

	"github.com/docsapi/docsapi"
)

type apiKeyJSON struct {
	ID         string   `json:"id"`
	Object     string   `json:"object"`
	Name       string   `json:"name"`
	Scopes     []string `json:"scopes"`
	RateLimit  int      `json:"rate_limit"`
	Prefix     string   `json:"prefix"`
	CreatedAt  string   `json:"created_at"`
	LastUsedAt *string  `json:"last_used_at"`
	RevokedAt  *string  `json:"revoked_at"`
	// Secret is shown once, in the response that creates the key.
	Secret string `json:"secret,omitempty"`
}

// redacted drops the secret from the copy kept for idempotent replays: keys
// are stored only as hashes, so a replay returns the key without it.
func (k apiKeyJSON) redacted() any {
	k.Secret = ""
	return k
}

func newAPIKeyJSON(k *docsapi.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Object: "api_key", Name: k.Name, Scopes: k.Scopes, RateLimit: k.RateLimit, Prefix: k.Prefix,
		CreatedAt: timeJSON(k.CreatedAt), LastUsedAt: timePtrJSON(k.LastUsedAt), RevokedAt: timePtrJSON(k.RevokedAt)}
}

// parseAPIKeyCreate reads the fields of a key creation; rateLimit is the
// rate limit when the body names none.
func parseAPIKeyCreate(b body, rateLimit int) (*docsapi.APIKey, error) {
	if err := b.only("name", "scopes", "rate_limit"); err != nil {
		return nil, err
	}
	k := &docsapi.APIKey{RateLimit: rateLimit}
	name, err := b.string("name")
	if err != nil {
		return nil, err
	}
	k.Name = name.value
	var ok bool
	if k.Scopes, ok = b.strings("scopes"); !ok {
		return nil, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "scopes", "Invalid scopes: it must be an array of strings.")
	}
	if n, set, ok := b.int("rate_limit"); set {
		if !ok || n < 1 || n > docsapi.MaxRateLimit {
			return nil, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "rate_limit", "Invalid rate_limit: it must be an integer from 1 to %d.", docsapi.MaxRateLimit)
		}
		k.RateLimit = n
	}
	return k, k.Normalize()
}

// handleCreateAPIKey serves POST /v1/api_keys.
func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	k, err := parseAPIKeyCreate(st.body, st.key.GrantedRateLimit())
	if err == nil {
		err = st.key.CheckGrant(k)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.execute(w, r, func(ctx context.Context) (int, any, error) {
		secret := k.Issue(st.key.AccountID)
		if err := s.APIKeyService.CreateAPIKey(ctx, k); err != nil {
			return 0, nil, err
		}
		out := newAPIKeyJSON(k)
		out.Secret = secret
		return http.StatusCreated, out, nil
	})
}

// handleGetAPIKey serves GET /v1/api_keys/{id}.
func (s *Server) handleGetAPIKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.APIKeyService.FindAPIKeyByID(r.Context(), stateFrom(r.Context()).key.AccountID, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newAPIKeyJSON(k))
}

// handleListAPIKeys serves GET /v1/api_keys.
func (s *Server) handleListAPIKeys(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	items, more, err := s.APIKeyService.FindAPIKeys(r.Context(), stateFrom(r.Context()).key.AccountID, p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(r, items, more, newAPIKeyJSON))
}

// handleRevokeAPIKey serves DELETE /v1/api_keys/{id}.
func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request) {
	st := stateFrom(r.Context())
	if err := st.body.only(); err != nil {
		s.Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	// Checked before the idempotency lookup: a 403 is never stored. A
	// missing key is left to the work, whose 404 is stored. Scopes never
	// change, so the check cannot go stale before the revocation.
	target, err := s.APIKeyService.FindAPIKeyByID(r.Context(), st.key.AccountID, id)
	if err == nil {
		err = st.key.CheckRevoke(target)
	} else if docsapi.ErrorCode(err) == docsapi.ENOTFOUND {
		err = nil
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	revoked := false
	status := s.execute(w, r, func(ctx context.Context) (int, any, error) {
		k, err := s.APIKeyService.RevokeAPIKey(ctx, st.key.AccountID, id)
		if err != nil {
			return 0, nil, err
		}
		revoked = target != nil && target.RevokedAt == nil
		return http.StatusOK, newAPIKeyJSON(k), nil
	})
	// After the work's commit, before net/http sends the buffered answer:
	// a key read meanwhile is not cached, and the next request with the
	// revoked key is refused on this instance at once. Only for a key that
	// this request revoked: Forget walks the whole cache, and a replay, a
	// 404 or the revocation of a revoked key changed nothing. The status is
	// execute's, not the response writer's: the Dashboard's revocation
	// calls this handler with a writer of its own.
	if revoked && status == http.StatusOK {
		s.keys.Forget(id)
	}
}
