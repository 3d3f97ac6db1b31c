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
// older version that then died is honoured while its lease runs (a 409,
// the work not run), then overwritten by the next request's work.
func TestIdempotencyDeadClaim(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	s := NewIdempotencyService(db)
	claimAt := func(at time.Time) {
		t.Helper()
		if _, err := db.writer(ctx).ExecContext(ctx,
			`INSERT OR REPLACE INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, created_at)
			 VALUES ('acct_a', 'k', 'fp', 'req_dead000001', 'dead', ?, ?)`, micros(at), micros(at)); err != nil {
			t.Fatal(err)
		}
	}
	begin := func(requestID string) *docsapi.IdempotencyClaim {
		t.Helper()
		c, stored, err := s.Begin(ctx, "acct_a", "k", "fp", requestID)
		if err != nil || c == nil || stored != nil {
			t.Fatalf("begin %s: %v %v %v", requestID, c, stored, err)
		}
		return c
	}
	ran := false
	work := func(ctx context.Context) (*docsapi.StoredResponse, error) {
		ran = true
		return &docsapi.StoredResponse{Status: 201, Body: []byte("{}"), RequestID: "req_live000001"}, nil
	}

	claimAt(docsapi.Now())
	_, _, err := s.Complete(ctx, begin("req_live000001"), work)
	if docsapi.ErrorCode(err) != docsapi.ECONFLICT || ran {
		t.Fatalf("fresh claim: %v, work ran: %v", err, ran)
	}
	claimAt(docsapi.Now().Add(-docsapi.IdempotencyLease - time.Second))
	resp, replayed, err := s.Complete(ctx, begin("req_live000001"), work)
	if err != nil || replayed || !ran || resp.Status != 201 {
		t.Fatalf("take over: %v %v %v %v", resp, replayed, ran, err)
	}
	ran = false
	resp, replayed, err = s.Complete(ctx, begin("req_next000001"), work)
	if err != nil || !replayed || ran || resp.RequestID != "req_live000001" {
		t.Fatalf("replay: %+v %v %v %v", resp, replayed, ran, err)
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
		return NewIdempotencyService(openMigrated(t, path))
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

// openMigrated opens the file at path, migrated, for the test's duration.
func openMigrated(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
