package http

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"

	"github.com/docsapi/docsapi"
)

// requireKey answers 401 unless the request carries a live API key, which
// it notes in the state for the checks and the handler that follow.
func (s *Server) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := s.authenticate(r)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		// The key's id and account now join the request's log lines.
		stateFrom(r.Context()).key = key
		next.ServeHTTP(w, r)
	})
}

// parseAuthorization returns the secret of the request's Authorization
// headers. Anything ambiguous is refused: two headers (two identities, or a
// key plus junk), or anything but one Bearer secret in the one header.
func parseAuthorization(values []string) (string, error) {
	if len(values) == 0 || len(values) == 1 && values[0] == "" {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "You did not provide an API key; send it as 'Authorization: Bearer sk_live_...'.")
	}
	if len(values) > 1 {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "Send one Authorization header, not several.")
	}
	scheme, secret, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "Use the Bearer scheme: 'Authorization: Bearer sk_live_...'.")
	}
	secret = strings.TrimSpace(secret)
	if !docsapi.ValidSecret(secret) {
		return "", docsapi.Errorf(docsapi.EUNAUTHORIZED, "Invalid API key provided: it is not of the form sk_live_ followed by 32 characters.")
	}
	return secret, nil
}

// authenticate returns the request's key. Failed attempts with a key count
// against the client IP, so secrets cannot be guessed at line rate.
func (s *Server) authenticate(r *http.Request) (*docsapi.APIKey, error) {
	secret, err := parseAuthorization(r.Header.Values("Authorization"))
	if err != nil {
		return nil, err
	}
	// Only secrets that must be looked up and did not name a valid key last
	// time are possible guesses, checked against the per-IP limit (which may
	// cost a Redis round trip). A valid key in use is never locked out.
	key, fresh, known := s.keys.Cached(secret)
	ip := clientIP(r)
	if !fresh {
		if s.AuthFailureLimit > 0 && !known {
			// Pending before the check, so that a lookup is always either
			// pending or, once failed, counted when another one checks.
			hash := secretSum(secret)
			pending := s.guesses.start(ip, hash)
			defer s.guesses.done(ip, hash)
			rl, err := s.AuthFailures.Peek(r.Context(), ip, s.AuthFailureLimit)
			if err != nil {
				return nil, err
			}
			if !rl.Allowed || pending > rl.Remaining {
				return nil, s.tooManyAuthFailures(rl)
			}
		}
		if key, err = s.keys.Find(r.Context(), secret); err != nil {
			return nil, err
		}
	}
	if key == nil || key.RevokedAt != nil {
		if s.AuthFailureLimit > 0 {
			if _, err := s.AuthFailures.Allow(r.Context(), ip, s.AuthFailureLimit); err != nil {
				return nil, err
			}
		}
		if key != nil {
			return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "This API key was revoked.")
		}
		return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "Invalid API key provided.")
	}
	return key, nil
}

// pendingGuesses holds, per client IP, the secrets not known to be valid
// whose lookups are under way. A failure is counted only once its lookup
// has failed, so concurrent guesses must count while pending: a lookup
// goes ahead only while the address's failures and its distinct pending
// secrets stay within the limit. Requests with the same secret share a
// place, so that a burst with one valid key that this instance has not
// seen yet is not refused.
type pendingGuesses struct {
	mu sync.Mutex
	m  map[string]map[[sha256.Size]byte]int // ip → secret hash → requests
}

// start counts a request from ip looking up the secret with this hash and
// returns how many distinct secrets ip now has pending.
func (p *pendingGuesses) start(ip string, hash [sha256.Size]byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]map[[sha256.Size]byte]int{}
	}
	secrets := p.m[ip]
	if secrets == nil {
		secrets = map[[sha256.Size]byte]int{}
		p.m[ip] = secrets
	}
	secrets[hash]++
	return len(secrets)
}

// done ends a request that start counted.
func (p *pendingGuesses) done(ip string, hash [sha256.Size]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	secrets := p.m[ip]
	if secrets[hash]--; secrets[hash] <= 0 {
		delete(secrets, hash)
	}
	if len(secrets) == 0 {
		delete(p.m, ip)
	}
}

// tooManyAuthFailures is the 429 for an address past AuthFailureLimit; it
// counts in docsapi_rate_limited_total like a key's own limit.
func (s *Server) tooManyAuthFailures(rl docsapi.RateLimit) error {
	s.metrics.rateLimited.WithLabelValues("auth_failures").Inc()
	return &retryAfterError{
		err:   docsapi.Errorf(docsapi.ERATELIMITED, "Too many failed authentication attempts from this address; retry after %d seconds.", ceilSeconds(rl.Reset)),
		after: ceilSeconds(rl.Reset),
	}
}
