package http

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/docsapi/docsapi"
)

// limitRate answers 429 once the key's rate limit is used up.
func (s *Server) limitRate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.rateLimit(w, r, stateFrom(r.Context()).key); err != nil {
			s.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimit admits the request against its key's limit and sets the
// RateLimit headers.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request, key *docsapi.APIKey) error {
	rl, err := s.RateLimiter.Allow(r.Context(), key.ID, key.RateLimit)
	if err != nil {
		return err
	}
	reset := 0
	if rl.Reset > 0 {
		reset = ceilSeconds(rl.Reset)
	}
	h := w.Header()
	h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=1`, rl.Limit))
	h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, rl.Remaining, reset))
	if !rl.Allowed {
		s.metrics.rateLimited.WithLabelValues("api_key").Inc()
		after := ceilSeconds(rl.Reset)
		return &retryAfterError{
			err:   docsapi.Errorf(docsapi.ERATELIMITED, "Too many requests for this API key (limit %d per second); retry after %d second(s).", rl.Limit, after),
			after: after,
		}
	}
	return nil
}

// retryAfterError is a 429 that knows its Retry-After, which setRetryAfter
// sends: the one way that header is set.
type retryAfterError struct {
	err   *docsapi.Error
	after int
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// setRetryAfter sets the Retry-After of a 429 that carries one.
func setRetryAfter(w http.ResponseWriter, err error) {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", strconv.Itoa(ra.after))
	}
}

func ceilSeconds(d time.Duration) int {
	n := int((d + time.Second - 1) / time.Second)
	return max(n, 1)
}
