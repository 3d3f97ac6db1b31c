package http_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
	"github.com/docsapi/docsapi/inmem"
)

// recordingLimiter notes when the real limiter admitted each request: a
// time before and one after its decision, with the decisions one at a time,
// so that each admission's own clock reading lies between the two.
type recordingLimiter struct {
	docsapi.RateLimiter
	mu       sync.Mutex
	admitted []admission
}

type admission struct{ before, after time.Time }

func (l *recordingLimiter) Allow(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	before := time.Now()
	rl, err := l.RateLimiter.Allow(ctx, key, limit)
	if rl.Allowed {
		l.admitted = append(l.admitted, admission{before, time.Now()})
	}
	return rl, err
}

// TestRateLimitFlood floods one key from 8 goroutines for 3 s: no 1-second
// window admits more than the limit, and at least 95 % of it is used.
func TestRateLimitFlood(t *testing.T) {
	const limit, flood = 100, 3 * time.Second
	rec := &recordingLimiter{RateLimiter: inmem.NewRateLimiter(time.Second)}
	e := newEnv(t, func(s *dhttp.Server) { s.RateLimiter = rec })
	key, _ := e.newKey(limit, docsapi.ScopeResourcesRead)
	time.Sleep(time.Second) // let the key creation's admission leave the window
	rec.mu.Lock()
	rec.admitted = nil
	rec.mu.Unlock()

	var mu sync.Mutex
	statuses := map[int]int{}
	badRetryAfter := 0
	stop := time.Now().Add(flood)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("GET", e.url+"/v1/resources?limit=1", nil)
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				if resp.StatusCode == 429 {
					if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
						badRetryAfter++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	rec.mu.Lock()
	times := slices.Clone(rec.admitted)
	rec.mu.Unlock()
	for i := limit; i < len(times); i++ {
		// Admission i-limit left the window before admission i: at the
		// latest, i came a second after i-limit at the earliest.
		if d := times[i].after.Sub(times[i-limit].before); d < time.Second {
			t.Fatalf("admissions %d and %d are at most %v apart: %d in under a second", i-limit, i, d, limit+1)
		}
	}
	if min := int(0.95 * limit * flood.Seconds()); len(times) < min {
		t.Errorf("admitted %d in %v, want at least %d", len(times), flood, min)
	}
	if statuses[200] != len(times) || statuses[429] == 0 || len(statuses) != 2 || badRetryAfter > 0 {
		t.Errorf("statuses %v, admitted %d, bad Retry-After %d", statuses, len(times), badRetryAfter)
	}
	t.Logf("admitted %d of %d requests in %v", len(times), statuses[200]+statuses[429], flood)
}
