package inmem

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// flaky is a shared limiter that fails while down is set, and counts the
// calls it gets.
type flaky struct {
	*RateLimiter
	down  bool
	calls int
}

func (f *flaky) Allow(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	f.calls++
	if f.down {
		return docsapi.RateLimit{}, errors.New("redis: connection refused")
	}
	return f.RateLimiter.Allow(ctx, key, limit)
}

func (f *flaky) Peek(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	f.calls++
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
	// A cancelled request is not a failure of the shared limiter: its
	// error is returned, once the shared limiter is tried again.
	l.now = func() time.Time { return time.Now().Add(retryShared) }
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Allow(cancelled, "k", 2); err == nil || failures != 1 {
		t.Errorf("cancelled call: %v, %d failures", err, failures)
	}
}

// TestFallbackRetriesSharedOncePerSecond: after a failure, requests go to
// the local limiter without asking the shared one, which one request tries
// again a second later; once it answers, every request asks it again.
func TestFallbackRetriesSharedOncePerSecond(t *testing.T) {
	shared := &flaky{RateLimiter: NewRateLimiter(time.Second), down: true}
	l := NewFallbackRateLimiter(shared, time.Second, func(error) {})
	clock := time.Unix(1_800_000_000, 0)
	l.epoch, l.now = clock, func() time.Time { return clock }
	ctx := context.Background()
	steps := []struct {
		name      string
		advance   time.Duration
		down      bool
		calls     int
		wantAsked int // calls the shared limiter gets in this step
	}{
		{"the first failure", 0, true, 1, 1},
		{"within the second after it", 999 * time.Millisecond, true, 5, 0},
		{"a second later: one probe, which fails", time.Millisecond, true, 5, 1},
		{"within the second after that", 500 * time.Millisecond, true, 5, 0},
		{"back up: the next probe succeeds, and every call asks again", 500 * time.Millisecond, false, 5, 5},
	}
	for _, st := range steps {
		clock = clock.Add(st.advance)
		shared.down = st.down
		before := shared.calls
		for i := 0; i < st.calls; i++ {
			rl, err := l.Allow(ctx, "k"+st.name, 100)
			if err != nil || !rl.Allowed {
				t.Fatalf("%s, call %d: %+v %v", st.name, i, rl, err)
			}
		}
		if got := shared.calls - before; got != st.wantAsked {
			t.Errorf("%s: the shared limiter was asked %d times, want %d", st.name, got, st.wantAsked)
		}
	}
}
