package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// TestPurgeInBatches: each purge deletes what expired over several
// batches, keeps the rest, and stops between batches once its context
// ends.
func TestPurgeInBatches(t *testing.T) {
	defer func(n int) { purgeBatch = n }(purgeBatch)
	purgeBatch = 3
	ctx := context.Background()
	cutoff := docsapi.Now().Add(-time.Hour)
	old, fresh := micros(cutoff.Add(-time.Minute)), micros(cutoff.Add(time.Minute))

	for _, c := range []struct {
		table  string
		insert string // args: i, created
		purge  func(db *DB) func(context.Context, time.Time) (int64, error)
	}{
		{"request_logs",
			`INSERT INTO request_logs (id, account_id, method, path, route, status, api_key_id, idempotent_replayed, duration_us, source, created_at)
			 SELECT 'req_purge' || ?, id, 'GET', '/v1/resources', 'GET /v1/resources', 200, 'key_x', 0, 1, 'api', ? FROM accounts`,
			func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewRequestLogService(db).PurgeRequestLogs
			}},
		{"idempotency_keys",
			`INSERT INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, status, body, created_at)
			 SELECT id, 'k' || ?, 'fp', 'req_x', 't', 0, 201, '{}', ? FROM accounts`,
			func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewIdempotencyService(db).PurgeIdempotencyRecords
			}},
		{"sessions",
			`INSERT INTO sessions (id, hash, account_id, api_key_id, csrf_token, created_at, last_seen_at)
			 SELECT 'ses_' || ?1, 'hash' || ?1, account_id, id, 'csrf', ?2, ?2 FROM api_keys`,
			func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewServices(db).Sessions.PurgeSessions
			}},
	} {
		t.Run(c.table, func(t *testing.T) {
			db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
			if _, _, _, err := NewServices(db).Accounts.CreateAccount(ctx, "Purge", ""); err != nil {
				t.Fatal(err)
			}
			fill := func(from, n int, created int64) {
				t.Helper()
				for i := from; i < from+n; i++ {
					if _, err := db.writer(ctx).ExecContext(ctx, c.insert, fmt.Sprint(i), created); err != nil {
						t.Fatal(err)
					}
				}
			}
			count := func() (n int) {
				t.Helper()
				if err := db.reader(ctx).QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			purge := c.purge(db)

			// Ended: not one batch runs.
			fill(0, 10, old)
			fill(10, 2, fresh)
			done, cancel := context.WithCancel(ctx)
			cancel()
			if n, err := purge(done, cutoff); n != 0 || !errors.Is(err, context.Canceled) {
				t.Fatalf("purge with an ended context = %d, %v; want 0, context.Canceled", n, err)
			}
			if got := count(); got != 12 {
				t.Fatalf("%d rows after an ended purge, want 12", got)
			}
			// Ten expired rows go in four batches of at most three; the
			// two fresh ones stay.
			if n, err := purge(ctx, cutoff); n != 10 || err != nil {
				t.Fatalf("purge = %d, %v; want 10, nil", n, err)
			}
			if got := count(); got != 2 {
				t.Fatalf("%d rows after the purge, want 2", got)
			}
			// A multiple of the batch size ends with an empty batch.
			fill(20, 6, old)
			if n, err := purge(ctx, cutoff); n != 6 || err != nil {
				t.Fatalf("second purge = %d, %v; want 6, nil", n, err)
			}
			if n, err := purge(ctx, cutoff); n != 0 || err != nil {
				t.Fatalf("purge of nothing = %d, %v; want 0, nil", n, err)
			}
		})
	}
}
