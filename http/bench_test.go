package http_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The request paths of ../shared/bench/ratio.sh through the whole handler
// chain (no network), on a real SQLite file (or PostgreSQL with
// DOCSAPI_TEST_HTTP_ENGINE=postgres): allocations and CPU per request.
//
//	go test -run '^$' -bench . -benchmem ./http/

func BenchmarkGetResource(b *testing.B) {
	e := newEnv(b)
	// One key allows 100,000 requests a second, which the chain without
	// the network exceeds: the requests take turns among keys.
	keys := make([]string, 8)
	for i := range keys {
		keys[i], _ = e.newKey(100_000, "*")
	}
	id := e.createResource(keys[0], "Quarterly report")
	h := e.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n++
		r := httptest.NewRequest("GET", "/v1/resources/"+id, nil)
		r.Header.Set("Authorization", "Bearer "+keys[n%len(keys)])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func BenchmarkCreateResource(b *testing.B) {
	for _, idem := range []bool{false, true} {
		b.Run(fmt.Sprintf("idempotent=%v", idem), func(b *testing.B) {
			e := newEnv(b)
			key, _ := e.newKey(100_000, "*")
			h := e.srv.Handler()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				r := httptest.NewRequest("POST", "/v1/resources", strings.NewReader(`{"name":"Quarterly report","metadata":{"team":"finance"}}`))
				r.Header.Set("Authorization", "Bearer "+key)
				r.Header.Set("Content-Type", "application/json")
				if idem {
					r.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", n))
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusCreated {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
