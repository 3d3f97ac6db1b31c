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
	lastReport atomic.Int64 // clock() of the last report
	// downUntil is the clock() at which the shared limiter is next tried, 0
	// while it answers: a Redis that hangs rather than refuses would
	// otherwise add its timeout to every request of an outage.
	downUntil atomic.Int64
	// epoch and now make clock(): nanoseconds on the monotonic clock, which
	// a step of the wall clock (NTP, a VM's resume) does not move.
	epoch time.Time
	now   func() time.Time
}

const (
	reportEvery = 10 * time.Second
	// retryShared is how long requests skip a failed shared limiter; then
	// one of them tries it again while the others go on locally.
	retryShared = time.Second
)

// NewFallbackRateLimiter returns a limiter over shared with a local one of
// the same window behind it.
func NewFallbackRateLimiter(shared docsapi.RateLimiter, window time.Duration, onError func(error)) *FallbackRateLimiter {
	l := &FallbackRateLimiter{shared: shared, local: NewRateLimiter(window), onError: onError, epoch: time.Now(), now: time.Now}
	l.lastReport.Store(-int64(reportEvery)) // the first failure is reported
	return l
}

// Allow asks the shared limiter, or the local one when that fails.
func (l *FallbackRateLimiter) Allow(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	if l.tryShared() {
		rl, err := l.shared.Allow(ctx, key, limit)
		if !l.failed(ctx, err) {
			return rl, err
		}
	}
	return l.local.Allow(ctx, key, limit)
}

// Peek asks the shared limiter, or the local one when that fails.
func (l *FallbackRateLimiter) Peek(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	if l.tryShared() {
		rl, err := l.shared.Peek(ctx, key, limit)
		if !l.failed(ctx, err) {
			return rl, err
		}
	}
	return l.local.Peek(ctx, key, limit)
}

// tryShared reports whether to ask the shared limiter: always while it
// answers; after a failure, once per retryShared.
func (l *FallbackRateLimiter) tryShared() bool {
	until := l.downUntil.Load()
	if until == 0 {
		return true
	}
	now := l.clock()
	return now >= until && l.downUntil.CompareAndSwap(until, now+int64(retryShared))
}

// failed records the outcome of asking the shared limiter and reports
// whether it failed. A cancelled request is not the shared limiter's failure.
func (l *FallbackRateLimiter) failed(ctx context.Context, err error) bool {
	switch {
	case err == nil:
		if l.downUntil.Load() != 0 {
			l.downUntil.Store(0)
		}
		return false
	case ctx.Err() != nil:
		return false
	}
	l.downUntil.Store(l.clock() + int64(retryShared))
	l.report(err)
	return true
}

// clock is the time since epoch, plus 1 so that it is never downUntil's 0
// ("answering").
func (l *FallbackRateLimiter) clock() int64 {
	return int64(l.now().Sub(l.epoch)) + 1
}

func (l *FallbackRateLimiter) report(err error) {
	now := l.clock()
	last := l.lastReport.Load()
	if now-last >= int64(reportEvery) && l.lastReport.CompareAndSwap(last, now) {
		l.onError(err)
	}
}
