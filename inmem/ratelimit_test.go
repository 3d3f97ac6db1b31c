package inmem

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock makes the limiter's time explicit.
func fakeClock(l *RateLimiter) *int64 {
	var now int64
	l.now = func() int64 { return now }
	return &now
}

func TestRateLimiterSlidingWindow(t *testing.T) {
	l := NewRateLimiter(time.Second)
	now := fakeClock(l)
	ms := int64(time.Millisecond)
	steps := []struct {
		at        int64 // ms
		allowed   bool
		remaining int
		reset     time.Duration
	}{
		{0, true, 2, time.Second},
		{400, true, 1, 600 * time.Millisecond},
		{500, true, 0, 500 * time.Millisecond},
		{999, false, 0, 1 * time.Millisecond},
		{1000, true, 0, 400 * time.Millisecond}, // the admission at 0 left the window
		{1300, false, 0, 100 * time.Millisecond},
		{1400, true, 0, 100 * time.Millisecond},
		{5000, true, 2, time.Second},
	}
	for _, s := range steps {
		*now = s.at * ms
		got, _ := l.Allow(context.Background(), "k", 3)
		if got.Allowed != s.allowed || got.Remaining != s.remaining || got.Reset != s.reset || got.Limit != 3 {
			t.Errorf("at %d ms: %+v, want allowed=%v remaining=%d reset=%v", s.at, got, s.allowed, s.remaining, s.reset)
		}
	}
}

func TestRateLimiterRefusalsDoNotCount(t *testing.T) {
	l := NewRateLimiter(time.Second)
	now := fakeClock(l)
	l.Allow(context.Background(), "k", 1)
	for i := 1; i < 10; i++ {
		*now = int64(i) * int64(90*time.Millisecond)
		if r, _ := l.Allow(context.Background(), "k", 1); r.Allowed {
			t.Fatalf("admitted at %v", time.Duration(*now))
		}
	}
	*now = int64(time.Second)
	if r, _ := l.Allow(context.Background(), "k", 1); !r.Allowed {
		t.Fatal("refusals pushed the window forward")
	}
}

func TestRateLimiterPeekAndKeys(t *testing.T) {
	l := NewRateLimiter(time.Second)
	fakeClock(l)
	ctx := context.Background()
	if r, _ := l.Peek(ctx, "a", 1); !r.Allowed || r.Remaining != 1 || l.Len() != 0 {
		t.Fatalf("peek of an unknown key: %+v, %d keys", r, l.Len())
	}
	l.Allow(ctx, "a", 1)
	if r, _ := l.Peek(ctx, "a", 1); r.Allowed {
		t.Fatal("peek admits past the limit")
	}
	if r, _ := l.Allow(ctx, "b", 1); !r.Allowed {
		t.Fatal("keys share a window")
	}
}

func TestRateLimiterGrowsToLargeLimits(t *testing.T) {
	l := NewRateLimiter(time.Second)
	fakeClock(l)
	for i := 0; i < 1000; i++ {
		if r, _ := l.Allow(context.Background(), "k", 1000); !r.Allowed || r.Remaining != 999-i {
			t.Fatalf("request %d: %+v", i, r)
		}
	}
	if r, _ := l.Allow(context.Background(), "k", 1000); r.Allowed {
		t.Fatal("admitted request 1001")
	}
}

// TestRateLimiterEvictsIdleKeys shows that memory follows active keys.
func TestRateLimiterEvictsIdleKeys(t *testing.T) {
	l := NewRateLimiter(time.Second)
	now := fakeClock(l)
	for i := 0; i < 100_000; i++ {
		l.Allow(context.Background(), strconv.Itoa(i), 100)
	}
	if l.Len() != 100_000 {
		t.Fatalf("%d keys", l.Len())
	}
	*now = int64(3 * time.Second)
	for i := 0; i < 10_000; i++ {
		l.Allow(context.Background(), "new"+strconv.Itoa(i), 100)
	}
	if n := l.Len(); n != 10_000 {
		t.Fatalf("%d keys tracked after the old ones went idle, want 10000", n)
	}
}

func BenchmarkRateLimiterAllow(b *testing.B) {
	for _, c := range []struct{ keys, limit int }{{1, 100}, {1000, 100}, {1_000_000, 100}, {1000, 100_000}} {
		keys, limit := c.keys, c.limit
		// limit=100 mostly refuses once warm; limit=100000 mostly admits.
		b.Run(fmt.Sprintf("keys=%d/limit=%d", keys, limit), func(b *testing.B) {
			l := NewRateLimiter(time.Second)
			names := make([]string, keys)
			for i := range names {
				names[i] = "key_" + strconv.Itoa(i)
			}
			// Steady state: every key already has its window, as on a server
			// that has seen its keys; BenchmarkRateLimiterNewKeys costs the first call.
			for _, name := range names {
				l.Allow(context.Background(), name, limit)
			}
			var next atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				i := int(next.Add(1) * 7919)
				for pb.Next() {
					l.Allow(ctx, names[i%keys], limit)
					i++
				}
			})
		})
	}
}

// BenchmarkRateLimiterNewKeys is the first call of a key: it allocates the
// key's window (and grows the shard's map).
func BenchmarkRateLimiterNewKeys(b *testing.B) {
	l := NewRateLimiter(time.Second)
	names := make([]string, b.N)
	for i := range names {
		names[i] = "key_" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range names {
		l.Allow(context.Background(), names[i], 100)
	}
}
