package http_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
)

// TestAmbiguousAuthorization: credentials that could be read two ways are
// refused, never served as the first of them.
func TestAmbiguousAuthorization(t *testing.T) {
	e := newEnv(t)
	other := e.newAccount()
	e.createResource(e.rootKey, "mine")
	tests := []struct {
		name   string
		values []string
	}{
		{"two accounts' keys", []string{"Bearer " + e.rootKey, "Bearer " + other}},
		{"the same key twice", []string{"Bearer " + e.rootKey, "Bearer " + e.rootKey}},
		{"a key then junk", []string{"Bearer " + e.rootKey, "junk"}},
		{"a key then an empty header", []string{"Bearer " + e.rootKey, ""}},
		{"junk after the key", []string{"Bearer " + e.rootKey + " junk"}},
		{"two keys in one header", []string{"Bearer " + e.rootKey + ", Bearer " + other}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", e.url+"/v1/resources", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tt.values {
				req.Header.Add("Authorization", v)
			}
			e.send(req).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
		})
	}
}

// TestValidKeyOutlivesAuthFailureLimit: an address that floods invalid keys
// is cut off, but a valid key in use from the same address keeps working
// after its cache entry goes stale, and stays revocable.
func TestValidKeyOutlivesAuthFailureLimit(t *testing.T) {
	e := newEnv(t, func(s *dhttp.Server) { s.AuthFailureLimit = 3 })
	inUse, inUseID := e.newKey(0, docsapi.ScopeResourcesRead)
	e.do("GET", "/v1/resources", inUse, nil).want(t, 200)
	guess := "sk_live_" + strings.Repeat("c", 32)
	for i := 0; i < 3; i++ {
		e.do("GET", "/v1/resources", guess, nil).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
	}
	e.do("GET", "/v1/resources", guess, nil).wantError(t, 429, docsapi.ERATELIMITED, "")
	// Past the cache's freshness the key must be looked up again; that
	// lookup must not be refused as a guess.
	for i := 0; i < 3; i++ {
		time.Sleep(600 * time.Millisecond)
		e.do("GET", "/v1/resources", guess, nil).wantError(t, 429, docsapi.ERATELIMITED, "")
		e.do("GET", "/v1/resources", inUse, nil).want(t, 200)
	}
	// A key this instance never saw valid is indistinguishable from a guess.
	fresh, _ := e.newKey(0, docsapi.ScopeResourcesRead)
	e.do("GET", "/v1/resources", fresh, nil).wantError(t, 429, docsapi.ERATELIMITED, "")
	// Known is not trusted: the lookup still sees a revocation.
	e.do("DELETE", "/v1/api_keys/"+inUseID, e.rootKey, nil).want(t, 200)
	time.Sleep(1100 * time.Millisecond)
	e.do("GET", "/v1/resources", inUse, nil).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
	// A revoked key is no longer known: it is checked like any guess.
	time.Sleep(1100 * time.Millisecond)
	e.do("GET", "/v1/resources", inUse, nil).wantError(t, 429, docsapi.ERATELIMITED, "")
}

// slowLookups is the store's key service with lookups by secret that take
// a while, as on a busy database: concurrent guesses then overlap.
type slowLookups struct{ docsapi.APIKeyService }

func (s slowLookups) FindAPIKeyByHash(ctx context.Context, hash string) (*docsapi.APIKey, error) {
	time.Sleep(50 * time.Millisecond)
	return s.APIKeyService.FindAPIKeyByHash(ctx, hash)
}

// slowPeeks is a failure limiter whose checks take a round trip, as
// Redis's: the count is read halfway, and is older by the time it arrives.
type slowPeeks struct{ docsapi.RateLimiter }

func (s slowPeeks) Peek(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	time.Sleep(2500 * time.Microsecond)
	rl, err := s.RateLimiter.Peek(ctx, key, limit)
	time.Sleep(2500 * time.Microsecond)
	return rl, err
}

// burst sends n requests at once, each with the secret that secret(i)
// returns, and counts their statuses.
func burst(t *testing.T, e *env, n int, secret func(i int) string) map[int]int {
	t.Helper()
	statuses := make(chan int, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", e.url+"/v1/resources", nil)
			req.Header.Set("Authorization", "Bearer "+secret(i))
			start.Wait()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	start.Done()
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	return counts
}

// TestConcurrentGuessesStayWithinTheLimit: guesses sent at once, before any
// has failed, still get no more lookups than the per-IP limit allows, with
// a limiter as fast as memory or as slow as Redis; a burst with one valid
// key that the instance has not seen yet is not taken for guesses.
func TestConcurrentGuessesStayWithinTheLimit(t *testing.T) {
	for _, slowLimiter := range []bool{false, true} {
		t.Run(map[bool]string{false: "in-memory limiter", true: "slow limiter"}[slowLimiter], func(t *testing.T) {
			e := newEnv(t, func(s *dhttp.Server) {
				s.AuthFailureLimit = 3
				s.APIKeyService = slowLookups{s.APIKeyService}
				if slowLimiter {
					s.AuthFailures = slowPeeks{s.AuthFailures}
				}
			})
			// Never used yet: this instance does not know it valid.
			if counts := burst(t, e, 50, func(int) string { return e.rootKey }); counts[200] != 50 {
				t.Errorf("a valid key's first burst: %v, want 50 × 200", counts)
			}
			// Guesses for 400 ms from 20 clients, each sending its next as
			// soon as it has its answer: checks and failures interleave.
			var mu sync.Mutex
			counts := map[int]int{}
			var wg sync.WaitGroup
			end := time.Now().Add(400 * time.Millisecond)
			for range 20 {
				wg.Go(func() {
					for time.Now().Before(end) {
						req, _ := http.NewRequest("GET", e.url+"/v1/resources", nil)
						req.Header.Set("Authorization", "Bearer "+docsapi.NewSecret())
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							t.Error(err)
							return
						}
						resp.Body.Close()
						mu.Lock()
						counts[resp.StatusCode]++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if counts[401] != 3 || len(counts) != 2 {
				t.Errorf("answers %v: want exactly the limit, 3, looked up (401), the rest 429", counts)
			}
			// A key this instance has seen valid is not a guess: it still works.
			e.do("GET", "/v1/resources", e.rootKey, nil).want(t, 200)
		})
	}
}
