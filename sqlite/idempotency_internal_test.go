package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// TestIdempotencyTakeOver shows that a claim whose holder died (its lease
// ran out) passes to the next request, and that the dead holder can then no
// longer complete.
func TestIdempotencyTakeOver(t *testing.T) {
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
	dead, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_dead000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_live000001"); !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
		t.Fatalf("fresh claim: %v", err)
	}
	stale := docsapi.Now().Add(-docsapi.IdempotencyLease - time.Second)
	if _, err := db.write.ExecContext(ctx, `UPDATE idempotency_keys SET locked_at = ?`, micros(stale)); err != nil {
		t.Fatal(err)
	}
	live, stored, err := s.Begin(ctx, "acct_a", "k", "fp", "req_live000001")
	if err != nil || live == nil || stored != nil || live.Token == dead.Token {
		t.Fatalf("take over: %v %v %v", live, stored, err)
	}
	ok := func(ctx context.Context) (*docsapi.StoredResponse, error) {
		return &docsapi.StoredResponse{Status: 201, Body: []byte("{}"), RequestID: "req_x"}, nil
	}
	if _, err := s.Complete(ctx, dead, ok); docsapi.ErrorCode(err) != docsapi.ECONFLICT {
		t.Fatalf("dead holder completed: %v", err)
	}
	if _, err := s.Complete(ctx, live, ok); err != nil {
		t.Fatal(err)
	}
}
