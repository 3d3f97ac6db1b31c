package docsapi

import (
	"context"
	"time"
)

// RateLimit is the outcome of one admission check.
type RateLimit struct {
	Allowed   bool
	Limit     int
	Remaining int
	// Reset is how long until the oldest admission leaves the window, that
	// is until one more request would be admitted; zero when the window is empty.
	Reset time.Duration
}

// RateLimiter admits at most limit requests per key in any sliding window.
type RateLimiter interface {
	// Allow counts one request for key if it is admitted; refused requests
	// are not counted. Errors: EINTERNAL.
	Allow(ctx context.Context, key string, limit int) (RateLimit, error)

	// Peek reports what Allow would answer, without counting anything.
	// Errors: EINTERNAL.
	Peek(ctx context.Context, key string, limit int) (RateLimit, error)
}
