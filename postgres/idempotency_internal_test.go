package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// TestIdempotencyTakeOver shows that a claim whose holder died (its lease
// ran out) passes to the next request, and that the dead holder can then no
// longer complete.
func TestIdempotencyTakeOver(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	s := NewIdempotencyService(db)
	dead, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_dead000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_live000001"); !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
		t.Fatalf("fresh claim: %v", err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET locked_at = now() - $1::interval`,
		docsapi.IdempotencyLease+time.Second); err != nil {
		t.Fatal(err)
	}
	live, stored, err := s.Begin(ctx, "acct_a", "k", "fp", "req_live000001")
	if err != nil || live == nil || stored != nil || live.Token == dead.Token {
		t.Fatalf("take over: %v %v %v", live, stored, err)
	}
	ok := func(ctx context.Context) (*docsapi.StoredResponse, error) {
		return &docsapi.StoredResponse{Status: 201, Body: []byte("{}"), RequestID: "req_x"}, nil
	}
	if _, _, err := s.Complete(ctx, dead, ok); docsapi.ErrorCode(err) != docsapi.ECONFLICT {
		t.Fatalf("dead holder completed: %v", err)
	}
	if _, _, err := s.Complete(ctx, live, ok); err != nil {
		t.Fatal(err)
	}
}

// TestIdempotencyExtend: a holder that renews its lease is not taken over,
// however long ago it first claimed the key.
func TestIdempotencyExtend(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	s := NewIdempotencyService(db)
	holder, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_slow000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET locked_at = now() - $1::interval`,
		docsapi.IdempotencyLease+time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Extend(ctx, holder); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_dup0000001"); !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
		t.Fatalf("renewed claim: %v", err)
	}
}

// TestIdempotencyExpired shows that a record past its TTL that the purge
// has not reached yet no longer answers: the key is claimed anew.
func TestIdempotencyExpired(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	s := NewIdempotencyService(db)
	c, _, err := s.Begin(ctx, "acct_a", "k", "fp", "req_old0000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Complete(ctx, c, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		return &docsapi.StoredResponse{Status: 201, Body: []byte("{}"), RequestID: "req_old0000001"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET created_at = $1`,
		docsapi.Now().Add(-docsapi.IdempotencyTTL-time.Second)); err != nil {
		t.Fatal(err)
	}
	if c, st, err := s.Begin(ctx, "acct_a", "k", "other", "req_new0000001"); err != nil || c == nil || st != nil {
		t.Fatalf("expired key: %v %v %v", c, st, err)
	}
}

// TestIdempotencyConcurrentBegin runs Begin for one key at once through
// two handles on one schema, as two server instances would: exactly one
// gets the claim, the others learn that it is in progress.
func TestIdempotencyConcurrentBegin(t *testing.T) {
	ctx := context.Background()
	u := testSchemaURL(t)
	services := []*IdempotencyService{NewIdempotencyService(openURL(t, u)), NewIdempotencyService(openURL(t, u))}
	for round := range 20 {
		key := "k" + string(rune('a'+round))
		var wg sync.WaitGroup
		results := make(chan error, 8)
		claims := make(chan *docsapi.IdempotencyClaim, 8)
		for i := range 8 {
			s := services[i%2]
			wg.Go(func() {
				c, st, err := s.Begin(ctx, "acct_a", key, "fp", docsapi.NewRequestID())
				if st != nil {
					err = errors.New("replayed a response that nobody stored")
				}
				if c != nil {
					claims <- c
				}
				results <- err
			})
		}
		wg.Wait()
		close(results)
		close(claims)
		for err := range results {
			if err != nil && !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
				t.Fatal(err)
			}
		}
		if n := len(claims); n != 1 {
			t.Fatalf("round %d: %d claims, want 1", round, n)
		}
	}
}

// TestIdempotencyDuplicateDoesNotWait writes the record's row in the first
// request's open transaction, as its Complete does when it stores the
// response: a duplicate on another handle, whose claim's insert waits for
// that transaction, is told the key is in progress instead of waiting for
// the commit (claimLockTimeout). Without the bound it would wait until its
// context ended.
func TestIdempotencyDuplicateDoesNotWait(t *testing.T) {
	ctx := context.Background()
	u := testSchemaURL(t)
	first, second := NewIdempotencyService(openURL(t, u)), NewIdempotencyService(openURL(t, u))
	c, _, err := first.Begin(ctx, "acct_a", "k", "fp", "req_first00001")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = first.Complete(ctx, c, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		if _, err := first.db.conn(ctx).Exec(ctx, `UPDATE idempotency_keys SET locked_at = locked_at WHERE key = 'k'`); err != nil {
			return nil, err
		}
		wait, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, _, err := second.Begin(wait, "acct_a", "k", "fp", "req_second0001"); !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
			t.Errorf("duplicate: %v", err)
		}
		return &docsapi.StoredResponse{Status: 201, Body: []byte("{}"), RequestID: "req_first00001"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, st, err := second.Begin(ctx, "acct_a", "k", "fp", "req_third00001"); err != nil || st == nil || st.Status != 201 {
		t.Fatalf("replay: %v %v", st, err)
	}
}

// TestIdempotencyReleaseFails: work that fails is rolled back and its claim
// released; when the release fails too, both failures are returned, for
// the log, and the claim holds retries off until its lease runs out.
func TestIdempotencyReleaseFails(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	s := NewIdempotencyService(db)
	if _, err := db.pool.Exec(ctx, `
		CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'delete refused'; END $$;
		CREATE TRIGGER refuse_delete BEFORE DELETE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse_delete()`); err != nil {
		t.Fatal(err)
	}
	workErr := errors.New("work failed")
	cases := []struct {
		name    string
		fn      func(ctx context.Context) (*docsapi.StoredResponse, error)
		wantErr error
	}{
		{"the work fails", func(context.Context) (*docsapi.StoredResponse, error) { return nil, workErr }, workErr},
		{"the work answers a 5xx", func(context.Context) (*docsapi.StoredResponse, error) {
			return &docsapi.StoredResponse{Status: 500, Body: []byte("{}"), RequestID: "req_x"}, nil
		}, docsapi.ErrRollback},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := fmt.Sprintf("k%d", i)
			claim, _, err := s.Begin(ctx, "acct_a", key, "fp", "req_first00001")
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = s.Complete(ctx, claim, c.fn)
			if !errors.Is(err, c.wantErr) || !strings.Contains(fmt.Sprint(err), "release idempotency key") || !strings.Contains(fmt.Sprint(err), "delete refused") {
				t.Fatalf("complete: %v, want %v joined with the release's failure", err, c.wantErr)
			}
			if _, _, err := s.Begin(ctx, "acct_a", key, "fp", "req_retry00001"); !errors.Is(err, docsapi.ErrIdempotencyInProgress) {
				t.Fatalf("retry while the unreleased claim holds: %v", err)
			}
		})
	}
}
