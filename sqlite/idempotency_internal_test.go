package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// TestIdempotencyDeadClaim shows that a claim written before its work by an
// older version that then died is waited for while its lease runs, then
// overwritten by the next request's work.
func TestIdempotencyDeadClaim(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "docsapi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := NewIdempotencyService(db)
	claimAt := func(at time.Time) {
		t.Helper()
		if _, err := db.writer(ctx).ExecContext(ctx,
			`INSERT OR REPLACE INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, created_at)
			 VALUES ('acct_a', 'k', 'fp', 'req_dead000001', 'dead', ?, ?)`, micros(at), micros(at)); err != nil {
			t.Fatal(err)
		}
	}
	claimAt(docsapi.Now())
	if _, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_live000001"); !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
		t.Fatalf("fresh claim: %v", err)
	}
	claimAt(docsapi.Now().Add(-docsapi.IdempotencyLease - time.Second))
	live, stored, err := s.Begin(ctx, "acct_a", "k", "fp", "req_live000001")
	if err != nil || live == nil || stored != nil {
		t.Fatalf("take over: %v %v %v", live, stored, err)
	}
	ran := false
	resp, replayed, err := s.Complete(ctx, live, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		ran = true
		return &docsapi.StoredResponse{Status: 201, Body: []byte("{}"), RequestID: "req_live000001"}, nil
	})
	if err != nil || replayed || !ran || resp.Status != 201 {
		t.Fatalf("complete: %v %v %v %v", resp, replayed, ran, err)
	}
	_, stored, err = s.Begin(ctx, "acct_a", "k", "fp", "req_next000001")
	if err != nil || stored == nil || stored.RequestID != "req_live000001" {
		t.Fatalf("replay: %+v %v", stored, err)
	}
}

// TestIdempotencyTwoProcesses: two processes on one file each hand out a
// claim for the same key, as neither sees the other's memory. The second
// Complete reads the record under the write lock and replays the first's
// response, or refuses another fingerprint, without running its work.
func TestIdempotencyTwoProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "docsapi.db")
	open := func() *IdempotencyService {
		t.Helper()
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return NewIdempotencyService(db)
	}
	a, b := open(), open()
	first, _, err := a.Begin(ctx, "acct_a", "k", "fp", "req_first00001")
	if err != nil {
		t.Fatal(err)
	}
	same, _, err := b.Begin(ctx, "acct_a", "k", "fp", "req_same000001")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := b.Begin(ctx, "acct_a", "k", "other", "req_other00001")
	if !errors.Is(err, docsapi.ErrIdempotencyInProgress) && docsapi.ErrorCode(err) != docsapi.ECONFLICT {
		t.Fatalf("another fingerprint beside a running claim: %v %v", other, err)
	}
	if _, _, err := a.Complete(ctx, first, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		return &docsapi.StoredResponse{Status: 201, Body: []byte(`{"n":1}`), RequestID: "req_first00001"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	resp, replayed, err := b.Complete(ctx, same, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		t.Error("the duplicate ran its work")
		return nil, errors.New("ran")
	})
	if err != nil || !replayed || string(resp.Body) != `{"n":1}` || resp.RequestID != "req_first00001" {
		t.Fatalf("duplicate: %+v %v %v", resp, replayed, err)
	}
	late := docsapi.NewIdempotencyClaim("acct_a", "k", "other", "req_other00002")
	if _, _, err := b.Complete(ctx, late, nil); docsapi.ErrorCode(err) != docsapi.ECONFLICT {
		t.Fatalf("another fingerprint: %v", err)
	}
}
