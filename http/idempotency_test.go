package http_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	dhttp "github.com/docsapi/docsapi/http"
)

func TestIdempotentReplay(t *testing.T) {
	e := newEnv(t)
	first := e.do("POST", "/v1/resources", e.rootKey, `{"name":"a","metadata":{"x":"1","y":"2"}}`, "Idempotency-Key", "create-1").want(t, 201)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("first response is marked replayed")
	}
	// Same body with other key order and white space is the same request.
	again := e.do("POST", "/v1/resources", e.rootKey, "{ \"metadata\": {\"y\":\"2\", \"x\":\"1\"},\n \"name\": \"a\" }", "Idempotency-Key", "create-1").want(t, 201)
	if string(again.body) != string(first.body) {
		t.Errorf("replay body differs:\n%s\n%s", first.body, again.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Original-Request") != first.header.Get("Request-Id") {
		t.Errorf("replay headers: %v", again.header)
	}
	if again.header.Get("Request-Id") == first.header.Get("Request-Id") {
		t.Error("replay reuses the request id")
	}
	// The quoted form is the same key.
	e.do("POST", "/v1/resources", e.rootKey, `{"name":"a","metadata":{"x":"1","y":"2"}}`, "Idempotency-Key", `"create-1"`).want(t, 201)
	if n := len(ids(t, e.do("GET", "/v1/resources", e.rootKey, nil))); n != 1 {
		t.Fatalf("%d resources, want 1", n)
	}
	// A different body, path or method is a conflict.
	e.do("POST", "/v1/resources", e.rootKey, `{"name":"b"}`, "Idempotency-Key", "create-1").wantError(t, 409, docsapi.ECONFLICT, "Idempotency-Key")
	e.do("POST", "/v1/api_keys", e.rootKey, `{"name":"a","scopes":["*"]}`, "Idempotency-Key", "create-1").wantError(t, 409, docsapi.ECONFLICT, "Idempotency-Key")
	// Keys are scoped to the account.
	e.do("POST", "/v1/resources", e.newAccount(), `{"name":"b"}`, "Idempotency-Key", "create-1").want(t, 201)
}

func TestIdempotencyKeySyntax(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct{ name, key string }{
		{"too long", strings.Repeat("k", 256)},
		{"non-ASCII", "clé"},
		{"control character", "a\tb"},
		{"empty quotes", `""`},
		{"escape outside RFC 8941", `"\x41"`},
		{"unescaped inner quote", `"a"b"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "x"}, "Idempotency-Key", tt.key).
				wantError(t, 400, docsapi.EPARAMINVALID, "Idempotency-Key")
		})
	}
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "x"}, "Idempotency-Key", strings.Repeat("k", 255)).want(t, 201)
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "x"}, "Idempotency-Key", "~ !").want(t, 201)
	// An escaped quote in the quoted form is the key with a plain quote.
	first := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "q"}, "Idempotency-Key", `a"b`).want(t, 201)
	again := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "q"}, "Idempotency-Key", `"a\"b"`).want(t, 201)
	if again.header.Get("Original-Request") != first.header.Get("Request-Id") {
		t.Error("the quoted key is not the same key")
	}
}

// TestIdempotencyEmptyBodyIsEmptyObject: a DELETE retried with {} instead of
// no body is the same request.
func TestIdempotencyEmptyBodyIsEmptyObject(t *testing.T) {
	e := newEnv(t)
	id := e.createResource(e.rootKey, "x")
	first := e.do("DELETE", "/v1/resources/"+id, e.rootKey, nil, "Idempotency-Key", "d").want(t, 200)
	again := e.do("DELETE", "/v1/resources/"+id, e.rootKey, "{}", "Idempotency-Key", "d").want(t, 200)
	if string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay %s %v", again.body, again.header)
	}
}

// TestIdempotencyConcurrentDuplicates sends 50 identical POSTs at once.
func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	var works atomic.Int32
	e := newEnv(t, func(s *dhttp.Server) {
		dhttp.SetBeforeWork(s, func(ctx context.Context) error {
			works.Add(1)
			time.Sleep(50 * time.Millisecond) // keep the first in flight while the others arrive
			return nil
		})
	})
	bodies := make([]string, 50)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/v1/resources", e.rootKey, `{"name":"once"}`, "Idempotency-Key", "burst")
			bodies[i] = fmt.Sprintf("%d %s", r.status, r.body)
		}()
	}
	wg.Wait()
	for i, b := range bodies {
		if b != bodies[0] || !strings.HasPrefix(b, "201 ") {
			t.Fatalf("response %d differs: %s\nfirst: %s", i, b, bodies[0])
		}
	}
	if n := len(ids(t, e.do("GET", "/v1/resources", e.rootKey, nil))); n != 1 || works.Load() != 1 {
		t.Fatalf("%d resources, work ran %d times; want 1 and 1", n, works.Load())
	}
}

func TestIdempotencyWhatIsStored(t *testing.T) {
	fail := atomic.Bool{}
	e := newEnv(t, func(s *dhttp.Server) {
		dhttp.SetBeforeWork(s, func(ctx context.Context) error {
			if fail.Load() {
				return errors.New("disk on fire")
			}
			return nil
		})
	})
	t.Run("validation 400 is not stored", func(t *testing.T) {
		e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": ""}, "Idempotency-Key", "v").wantError(t, 400, docsapi.EPARAMMISSING, "name")
		e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "fixed"}, "Idempotency-Key", "v").want(t, 201)
	})
	t.Run("404 of the work is stored and replayed", func(t *testing.T) {
		id := e.createResource(e.rootKey, "doomed")
		e.do("DELETE", "/v1/resources/"+id, e.rootKey, nil).want(t, 200)
		first := e.do("PATCH", "/v1/resources/"+id, e.rootKey, map[string]any{"name": "n"}, "Idempotency-Key", "p")
		first.wantError(t, 404, docsapi.ENOTFOUND, "id")
		again := e.do("PATCH", "/v1/resources/"+id, e.rootKey, map[string]any{"name": "n"}, "Idempotency-Key", "p")
		if again.status != 404 || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay %d %s %v", again.status, again.body, again.header)
		}
	})
	t.Run("a 500 is not stored and a retry succeeds", func(t *testing.T) {
		fail.Store(true)
		e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "retry me"}, "Idempotency-Key", "f").wantError(t, 500, docsapi.EINTERNAL, "")
		fail.Store(false)
		r := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "retry me"}, "Idempotency-Key", "f").want(t, 201)
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Error("the retry was a replay of the 500")
		}
		var named int
		for _, id := range ids(t, e.do("GET", "/v1/resources?limit=100", e.rootKey, nil)) {
			if e.do("GET", "/v1/resources/"+id, e.rootKey, nil).json(t)["name"] == "retry me" {
				named++
			}
		}
		if named != 1 {
			t.Errorf("%d resources named 'retry me', want 1", named)
		}
	})
	t.Run("401, 403 and 429 are not stored", func(t *testing.T) {
		ro, _ := e.newKey(0, docsapi.ScopeResourcesRead)
		e.do("POST", "/v1/resources", ro, map[string]any{"name": "x"}, "Idempotency-Key", "s").wantError(t, 403, docsapi.EFORBIDDEN, "")
		e.do("POST", "/v1/resources", "", map[string]any{"name": "x"}, "Idempotency-Key", "s").wantError(t, 401, docsapi.EUNAUTHORIZED, "")
		e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "x"}, "Idempotency-Key", "s").want(t, 201)
	})
}

// TestIdempotencyWaitTimesOut holds the first request longer than the
// contract's 10 s: the duplicate gets 409, and the first still succeeds.
func TestIdempotencyWaitTimesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 11 s")
	}
	t.Parallel() // waits 10 s: beside the other waiting tests, at the end
	release := make(chan struct{})
	var releasing sync.Once
	// Released however the test ends, or closing the server would wait forever.
	defer releasing.Do(func() { close(release) })
	var calls atomic.Int32
	e := newEnv(t, func(s *dhttp.Server) {
		dhttp.SetBeforeWork(s, func(ctx context.Context) error {
			if calls.Add(1) == 1 { // only the first write is slow
				<-release
			}
			return nil
		})
	})
	firstDone := make(chan *response)
	go func() {
		firstDone <- e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "slow"}, "Idempotency-Key", "slow")
	}()
	time.Sleep(200 * time.Millisecond)
	// Meanwhile a fresh key meets SQLite's write lock, which the first request
	// holds: that is the store's failure (500, retried by clients), not a
	// conflict. PostgreSQL has no such lock and just creates it.
	fresh := make(chan *response)
	go func() {
		fresh <- e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "other"}, "Idempotency-Key", "fresh")
	}()
	start := time.Now()
	dup := e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "slow"}, "Idempotency-Key", "slow")
	dup.wantError(t, 409, docsapi.ECONFLICT, "Idempotency-Key")
	if waited := time.Since(start); waited < 9*time.Second || waited > 12*time.Second {
		t.Errorf("duplicate waited %v, want about 10 s", waited)
	}
	if e.path != "" {
		(<-fresh).wantError(t, 500, docsapi.EINTERNAL, "")
	} else {
		(<-fresh).want(t, 201)
	}
	releasing.Do(func() { close(release) })
	first := <-firstDone
	first.want(t, 201)
	e.do("POST", "/v1/resources", e.rootKey, map[string]any{"name": "other"}, "Idempotency-Key", "fresh").want(t, 201)
}
