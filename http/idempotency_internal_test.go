package http

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/internal/testenv"
)

// extendCounter counts the renewals keepClaim asks for; keepClaim calls
// nothing else of the service.
type extendCounter struct {
	docsapi.IdempotencyService
	n   atomic.Int64
	err error // what every renewal returns
}

func (c *extendCounter) Extend(ctx context.Context, claim *docsapi.IdempotencyClaim) error {
	c.n.Add(1)
	return c.err
}

// waitRenewals waits until svc counted n renewals.
func waitRenewals(t *testing.T, svc *extendCounter, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); svc.n.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d renewals in 10 s, want %d", svc.n.Load(), n)
		}
	}
}

// TestKeepClaim: a write that runs long renews its claim again and again,
// and not once more after it stopped.
func TestKeepClaim(t *testing.T) {
	svc := &extendCounter{}
	s := &Server{IdempotencyService: svc, claimRenewal: 5 * time.Millisecond}
	stop := s.keepClaim(t.Context(), docsapi.NewIdempotencyClaim("acct_a", "k", "fp", "req_a"))
	waitRenewals(t, svc, 3)
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

// TestKeepClaimFailingRenewal: a renewal the store refuses is logged as a
// warning with the request's id, and the renewals go on.
func TestKeepClaimFailingRenewal(t *testing.T) {
	svc := &extendCounter{err: errors.New("connection refused")}
	var logs testenv.SyncBuffer
	s := &Server{IdempotencyService: svc, claimRenewal: 5 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	ctx := context.WithValue(t.Context(), stateKey{}, &state{id: "req_renew00001"})
	stop := s.keepClaim(ctx, docsapi.NewIdempotencyClaim("acct_a", "k", "fp", "req_renew00001"))
	waitRenewals(t, svc, 2)
	stop()
	got := logs.String()
	if !strings.Contains(got, `"level":"WARN","msg":"extend idempotency claim","request_id":"req_renew00001","error":"connection refused"`) {
		t.Fatalf("log: %s", got)
	}
}
