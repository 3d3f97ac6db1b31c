package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// testClient connects to DOCSAPI_TEST_REDIS_URL. CI must run these tests, so
// there a missing URL is a failure rather than a skip.
func testClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	url := os.Getenv("DOCSAPI_TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("DOCSAPI_TEST_REDIS_URL is not set; CI must run the Redis tests")
		}
		tb.Skip("DOCSAPI_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0): skipping the Redis tests")
	}
	c, err := NewClient(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("redis at DOCSAPI_TEST_REDIS_URL: %v", err)
	}
	return c
}

// testPrefix returns a fresh key prefix whose keys are deleted when the test
// ends, so that tests neither see each other's keys nor leave any behind.
func testPrefix(tb testing.TB, c *goredis.Client) string {
	tb.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "docsapi-test:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("scan %s*: %v", prefix, err)
		}
		for chunk := range slices.Chunk(keys, 1000) {
			if err := c.Del(ctx, chunk...).Err(); err != nil {
				tb.Errorf("del %s*: %v", prefix, err)
			}
		}
	})
	return prefix
}

func TestRateLimiterSlidingWindow(t *testing.T) {
	const window = 500 * time.Millisecond
	c := testClient(t)
	l := NewRateLimiter(c, testPrefix(t, c), window)
	ctx := context.Background()
	allow := func(wantAllowed bool, wantRemaining int) time.Duration {
		t.Helper()
		r, err := l.Allow(ctx, "k", 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.Allowed != wantAllowed || r.Remaining != wantRemaining || r.Limit != 3 {
			t.Fatalf("%+v, want allowed=%v remaining=%d limit=3", r, wantAllowed, wantRemaining)
		}
		return r.Reset
	}

	start := time.Now()
	if reset := allow(true, 2); reset != window {
		t.Fatalf("reset %v on an empty window, want %v", reset, window)
	}
	firstDone := time.Now()
	time.Sleep(100 * time.Millisecond)
	// The first admission leaves the window in window minus the time since.
	if reset := allow(true, 1); reset > window-100*time.Millisecond || reset < window-time.Since(start) {
		t.Fatalf("reset %v, want about %v", reset, window-100*time.Millisecond)
	}
	secondDone := time.Now()
	allow(true, 0)
	if reset := allow(false, 0); reset <= 0 || reset > window-100*time.Millisecond {
		t.Fatalf("refused with reset %v", reset)
	}

	// Refusals must not count: polling admits as soon as the first
	// admission has left the window.
	for {
		r, err := l.Allow(ctx, "k", 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.Allowed {
			if r.Remaining != 0 || r.Reset <= 0 || r.Reset > secondDone.Sub(start) {
				t.Fatalf("%+v after the first admission left the window", r)
			}
			break
		}
		if time.Since(start) > 2*window {
			t.Fatal("refusals pushed the window forward")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(start); d < window {
		t.Fatalf("admitted a 4th request after %v, within one window", d)
	}
	if d := time.Since(firstDone); d > window+100*time.Millisecond {
		t.Fatalf("admitted only %v after the first admission", d)
	}

	time.Sleep(window + 50*time.Millisecond)
	if reset := allow(true, 2); reset != window {
		t.Fatalf("reset %v once every admission left, want %v", reset, window)
	}
}

func TestRateLimiterPeek(t *testing.T) {
	c := testClient(t)
	prefix := testPrefix(t, c)
	l := NewRateLimiter(c, prefix, time.Second)
	ctx := context.Background()
	peek := func(key string, limit int) (allowed bool, remaining int, reset time.Duration) {
		t.Helper()
		r, err := l.Peek(ctx, key, limit)
		if err != nil {
			t.Fatal(err)
		}
		return r.Allowed, r.Remaining, r.Reset
	}

	if a, rem, reset := peek("a", 2); !a || rem != 2 || reset != 0 {
		t.Fatalf("peek of an unknown key: allowed=%v remaining=%d reset=%v", a, rem, reset)
	}
	if n := c.Exists(ctx, prefix+"a").Val(); n != 0 {
		t.Fatal("peek created the key")
	}
	if a, rem, _ := peek("a", 0); a || rem != 0 {
		t.Fatalf("peek with limit 0: allowed=%v remaining=%d", a, rem)
	}
	if _, err := l.Allow(ctx, "a", 2); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if a, rem, reset := peek("a", 2); !a || rem != 1 || reset <= 0 || reset > time.Second {
			t.Fatalf("peek after one admission: allowed=%v remaining=%d reset=%v", a, rem, reset)
		}
	}
	if r, err := l.Allow(ctx, "a", 2); err != nil || !r.Allowed || r.Remaining != 0 {
		t.Fatalf("peeks counted: %+v, %v", r, err)
	}
	if a, rem, _ := peek("a", 2); a || rem != 0 {
		t.Fatalf("peek past the limit: allowed=%v remaining=%d", a, rem)
	}
	if r, err := l.Allow(ctx, "b", 1); err != nil || !r.Allowed {
		t.Fatalf("keys share a window: %+v, %v", r, err)
	}
}

// TestRateLimiterExactUnderConcurrency races two instances for one key: the
// admissions are exactly the limit, each sees a distinct remaining count, and
// every admission is its own sorted-set member.
func TestRateLimiterExactUnderConcurrency(t *testing.T) {
	const limit, workers, calls = 1000, 32, 50
	c1, c2 := testClient(t), testClient(t)
	prefix := testPrefix(t, c1)
	limiters := []*RateLimiter{NewRateLimiter(c1, prefix, 10*time.Second), NewRateLimiter(c2, prefix, 10*time.Second)}
	seen := make([]atomic.Int32, limit)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range calls {
				r, err := limiters[w%2].Allow(context.Background(), "k", limit)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Allowed {
					seen[r.Remaining].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for remaining := range seen {
		if n := seen[remaining].Load(); n != 1 {
			t.Fatalf("%d admissions left %d remaining, want 1", n, remaining)
		}
	}
	if n := c1.ZCard(context.Background(), prefix+"k").Val(); n != limit {
		t.Fatalf("%d members for %d admissions", n, limit)
	}
}

// TestRateLimiterSharedAcrossInstances hammers one key through two instances
// with their own connections for 2 s; no 1-second window may admit more
// than the limit together.
func TestRateLimiterSharedAcrossInstances(t *testing.T) {
	const limit, window, workers, duration = 50, time.Second, 32, 2 * time.Second
	c1, c2 := testClient(t), testClient(t)
	prefix := testPrefix(t, c1)
	limiters := []*RateLimiter{NewRateLimiter(c1, prefix, window), NewRateLimiter(c2, prefix, window)}

	// The server admits at an unknown moment between sending and receiving,
	// so each admission is kept as that interval, relative to start.
	type admission struct{ sent, received time.Duration }
	var (
		mu        sync.Mutex
		admitted  []admission
		refusals  atomic.Int64
		wg        sync.WaitGroup
		start     = time.Now()
		ctx       = context.Background()
		checkResp = func(allowed bool, remaining int, reset time.Duration) error {
			switch {
			case allowed && (remaining < 0 || remaining >= limit):
				return fmt.Errorf("admitted with remaining %d", remaining)
			case !allowed && remaining != 0:
				return fmt.Errorf("refused with remaining %d", remaining)
			case reset <= 0 || reset > window:
				return fmt.Errorf("reset %v", reset)
			}
			return nil
		}
	)
	for w := range workers {
		wg.Go(func() {
			for time.Since(start) < duration {
				sent := time.Since(start)
				r, err := limiters[w%2].Allow(ctx, "k", limit)
				received := time.Since(start)
				if err == nil {
					err = checkResp(r.Allowed, r.Remaining, r.Reset)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if !r.Allowed {
					refusals.Add(1)
					continue
				}
				mu.Lock()
				admitted = append(admitted, admission{sent, received})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d admitted, %d refused", len(admitted), refusals.Load())
	if len(admitted) < 2*limit {
		t.Fatalf("only %d admitted in %v at %d per %v", len(admitted), duration, limit, window)
	}

	// limit+1 admissions fit in one window only if the last of them was
	// received less than a window after the first was sent. For each
	// earliest sending, take the limit+1 earliest receptions among requests
	// sent no earlier. The millisecond allows for the client's and the
	// server's clocks running at slightly different rates.
	for _, first := range admitted {
		var received []time.Duration
		for _, a := range admitted {
			if a.sent >= first.sent {
				received = append(received, a.received)
			}
		}
		if len(received) <= limit {
			continue
		}
		slices.Sort(received)
		if span := received[limit] - first.sent; span < window-time.Millisecond {
			t.Fatalf("%d admissions within %v, from %v on", limit+1, span, first.sent)
		}
	}
}

func TestRateLimiterKeysExpire(t *testing.T) {
	const window = 200 * time.Millisecond
	c := testClient(t)
	prefix := testPrefix(t, c)
	l := NewRateLimiter(c, prefix, window)
	ctx := context.Background()
	if _, err := l.Allow(ctx, "k", 1); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, prefix+"k").Val(); ttl <= 0 || ttl > window {
		t.Fatalf("TTL %v after an admission, want at most %v", ttl, window)
	}
	time.Sleep(window / 2)
	if r, err := l.Allow(ctx, "k", 1); err != nil || r.Allowed {
		t.Fatalf("%+v, %v", r, err)
	}
	// A refusal leaves the expiry of the last admission alone.
	if ttl := c.PTTL(ctx, prefix+"k").Val(); ttl <= 0 || ttl > window/2 {
		t.Fatalf("TTL %v after a refusal, want at most %v", ttl, window/2)
	}
	time.Sleep(window/2 + 20*time.Millisecond)
	if n := c.Exists(ctx, prefix+"k").Val(); n != 0 {
		t.Fatal("an idle key outlived its window")
	}
}

// TestRateLimiterErrors shows that Redis failures reach the caller, wrapped.
func TestRateLimiterErrors(t *testing.T) {
	c := testClient(t)
	l := NewRateLimiter(c, testPrefix(t, c), time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k", 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}

	closed := testClient(t)
	closed.Close()
	if _, err := NewRateLimiter(closed, "x:", time.Second).Peek(context.Background(), "k", 1); !errors.Is(err, goredis.ErrClosed) {
		t.Fatalf("closed client: %v", err)
	}

	for _, bad := range []string{"http://localhost", "redis://u:secret@host:badport/0"} {
		if _, err := NewClient(bad); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("NewClient(%q): %v", bad, err)
		}
		if err := CheckURL(bad); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("CheckURL(%q): %v", bad, err)
		}
	}
}

func BenchmarkRedisRateLimiterAllow(b *testing.B) {
	for _, keys := range []int{1, 10_000} {
		b.Run("keys="+strconv.Itoa(keys), func(b *testing.B) {
			c := testClient(b)
			l := NewRateLimiter(c, testPrefix(b, c), time.Second)
			names := make([]string, keys)
			for i := range names {
				names[i] = "key_" + strconv.Itoa(i)
			}
			var next atomic.Uint64
			// Each call waits for a round trip, so like an HTTP server the
			// benchmark needs more callers than CPUs to keep Redis busy;
			// 8 per CPU stays within go-redis's default pool of 10 per CPU.
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				i := int(next.Add(1) * 7919)
				for pb.Next() {
					if _, err := l.Allow(ctx, names[i%keys], 100); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}
