package http

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// extendCounter counts the renewals keepClaim asks for; keepClaim calls
// nothing else of the service.
type extendCounter struct {
	docsapi.IdempotencyService
	n atomic.Int64
}

func (c *extendCounter) Extend(ctx context.Context, claim *docsapi.IdempotencyClaim) error {
	c.n.Add(1)
	return nil
}

// TestKeepClaim: a write that runs long renews its claim again and again,
// and not once more after it stopped.
func TestKeepClaim(t *testing.T) {
	svc := &extendCounter{}
	s := &Server{IdempotencyService: svc, claimRenewal: 5 * time.Millisecond}
	stop := s.keepClaim(t.Context(), docsapi.NewIdempotencyClaim("acct_a", "k", "fp", "req_a"))
	for deadline := time.Now().Add(10 * time.Second); svc.n.Load() < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d renewals in 10 s, want 3", svc.n.Load())
		}
	}
	stop()
	n := svc.n.Load()
	time.Sleep(50 * time.Millisecond)
	if got := svc.n.Load(); got != n {
		t.Fatalf("%d renewals after stop", got-n)
	}
	// A write done before the first renewal renews nothing.
	svc.n.Store(0)
	s.claimRenewal = time.Hour
	s.keepClaim(t.Context(), docsapi.NewIdempotencyClaim("acct_a", "k2", "fp", "req_b"))()
	if got := svc.n.Load(); got != 0 {
		t.Fatalf("%d renewals for a quick write", got)
	}
}
