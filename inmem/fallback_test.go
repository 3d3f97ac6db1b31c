package inmem

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// flaky is a shared limiter that fails while down is set.
type flaky struct {
	*RateLimiter
	down bool
}

func (f *flaky) Allow(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	if f.down {
		return docsapi.RateLimit{}, errors.New("redis: connection refused")
	}
	return f.RateLimiter.Allow(ctx, key, limit)
}

func (f *flaky) Peek(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	if f.down {
		return docsapi.RateLimit{}, errors.New("redis: connection refused")
	}
	return f.RateLimiter.Peek(ctx, key, limit)
}

func TestFallbackRateLimiter(t *testing.T) {
	shared := &flaky{RateLimiter: NewRateLimiter(time.Second)}
	var failures int
	l := NewFallbackRateLimiter(shared, time.Second, func(error) { failures++ })
	ctx := context.Background()
	if rl, err := l.Allow(ctx, "k", 2); err != nil || !rl.Allowed || failures != 0 {
		t.Fatalf("shared up: %+v %v", rl, err)
	}
	shared.down = true
	// Down: the local limiter still enforces the limit, and no call fails.
	for i, want := range []bool{true, true, false} {
		rl, err := l.Allow(ctx, "k", 2)
		if err != nil || rl.Allowed != want {
			t.Fatalf("call %d while down: %+v %v", i, rl, err)
		}
	}
	if rl, err := l.Peek(ctx, "k", 2); err != nil || rl.Allowed {
		t.Fatalf("peek while down: %+v %v", rl, err)
	}
	if failures != 1 {
		t.Errorf("%d failures reported, want 1: an outage is reported once per 10 s", failures)
	}
	// A cancelled request is not a failure of the shared limiter.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Allow(cancelled, "k", 2); err == nil || failures != 1 {
		t.Errorf("cancelled call: %v, %d failures", err, failures)
	}
}
