package inmem

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/docsapi/docsapi"
)

// FallbackRateLimiter uses a shared limiter (Redis) and, while it fails,
// limits in this process instead: an outage of the shared state then loosens
// the limit (each instance admits up to the limit on its own) rather than
// failing every request.
type FallbackRateLimiter struct {
	shared docsapi.RateLimiter
	local  *RateLimiter
	// onError hears of the shared limiter's failures, at most once every
	// reportEvery, so that an outage is not logged once per request.
	onError    func(error)
	lastReport atomic.Int64
}

const reportEvery = 10 * time.Second

// NewFallbackRateLimiter returns a limiter over shared with a local one of
// the same window behind it.
func NewFallbackRateLimiter(shared docsapi.RateLimiter, window time.Duration, onError func(error)) *FallbackRateLimiter {
	return &FallbackRateLimiter{shared: shared, local: NewRateLimiter(window), onError: onError}
}

// Allow asks the shared limiter, or the local one when that fails.
func (l *FallbackRateLimiter) Allow(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	rl, err := l.shared.Allow(ctx, key, limit)
	if err != nil && ctx.Err() == nil {
		l.report(err)
		return l.local.Allow(ctx, key, limit)
	}
	return rl, err
}

// Peek asks the shared limiter, or the local one when that fails.
func (l *FallbackRateLimiter) Peek(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	rl, err := l.shared.Peek(ctx, key, limit)
	if err != nil && ctx.Err() == nil {
		l.report(err)
		return l.local.Peek(ctx, key, limit)
	}
	return rl, err
}

func (l *FallbackRateLimiter) report(err error) {
	now := time.Now().UnixNano()
	last := l.lastReport.Load()
	if now-last >= int64(reportEvery) && l.lastReport.CompareAndSwap(last, now) {
		l.onError(err)
	}
}
