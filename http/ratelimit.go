package http

import (
	"errors"
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
	setRateLimitHeaders(w.Header(), rl.Limit, rl.Remaining, reset)
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

// setRateLimitHeaders sets RateLimit-Policy to "default";q=limit;w=1 and
// RateLimit to "default";r=remaining;t=reset. Both values are cut from one
// string and share one slice, and the keys are given in their canonical
// form, which Header.Set would make anew on every request.
func setRateLimitHeaders(h http.Header, limit, remaining, reset int) {
	var buf [96]byte
	b := append(buf[:0], `"default";q=`...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, `;w=1`...)
	split := len(b)
	b = append(b, `"default";r=`...)
	b = strconv.AppendInt(b, int64(remaining), 10)
	b = append(b, `;t=`...)
	b = strconv.AppendInt(b, int64(reset), 10)
	v := string(b)
	values := []string{v[:split], v[split:]}
	h["Ratelimit-Policy"] = values[:1:1]
	h["Ratelimit"] = values[1:]
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
