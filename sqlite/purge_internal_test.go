package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// endsAfter is a context that reports itself cancelled from the (n+1)th
// call of Err on: a purge that checks between batches stops midway.
type endsAfter struct {
	context.Context
	n atomic.Int32
}

func (c *endsAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestPurgeInBatches: each purge deletes what expired, in every account,
// over several batches, and keeps the rest. It stops between batches once
// its context ends, and at a failed batch, returning what went before.
func TestPurgeInBatches(t *testing.T) {
	defer func(n int) { purgeBatch = n }(purgeBatch)
	purgeBatch = 3
	const accounts = 3
	ctx := context.Background()
	cutoff := docsapi.Now().Add(-time.Hour)
	old, fresh := micros(cutoff.Add(-time.Minute)), micros(cutoff.Add(time.Minute))

	for _, c := range []struct {
		table  string
		insert string // one row per account; args: i, created
		fail   string // a trigger that fails the deletion of the rows of i = 35
		purge  func(db *DB) func(context.Context, time.Time) (int64, error)
	}{
		{"request_logs",
			`INSERT INTO request_logs (id, account, method, path, route, status, api_key, idempotent_replayed, duration_us, source, created_at)
			 SELECT 'req_purge' || ? || a.id, n.n, 'GET', '/v1/resources', 'GET /v1/resources', 200, 1, 0, 1, 'api', ?
			 FROM accounts a JOIN request_log_accounts n ON n.id = a.id`,
			`CREATE TRIGGER fail BEFORE DELETE ON request_logs WHEN old.id LIKE 'req_purge35acct%' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
			func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewRequestLogService(db).PurgeRequestLogs
			}},
		{"idempotency_keys",
			`INSERT INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, status, body, created_at)
			 SELECT id, 'k' || ?, 'fp', 'req_x', 't', 0, 201, '{}', ? FROM accounts`,
			`CREATE TRIGGER fail BEFORE DELETE ON idempotency_keys WHEN old.key = 'k35' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
			func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewIdempotencyService(db).PurgeIdempotencyRecords
			}},
		{"sessions",
			`INSERT INTO sessions (id, hash, account_id, api_key_id, csrf_token, created_at, last_seen_at)
			 SELECT 'ses_' || ?1 || id, 'hash' || ?1 || id, account_id, id, 'csrf', ?2, ?2 FROM api_keys`,
			`CREATE TRIGGER fail BEFORE DELETE ON sessions WHEN old.id LIKE 'ses_35key%' BEGIN SELECT RAISE(ABORT, 'boom'); END`,
			func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewServices(db).Sessions.PurgeSessions
			}},
	} {
		t.Run(c.table, func(t *testing.T) {
			db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
			for i := range accounts {
				if _, _, _, err := NewServices(db).Accounts.CreateAccount(ctx, fmt.Sprint("Purge ", i), ""); err != nil {
					t.Fatal(err)
				}
			}
			exec := func(query string, args ...any) {
				t.Helper()
				if _, err := db.writer(ctx).ExecContext(ctx, query, args...); err != nil {
					t.Fatal(err)
				}
			}
			// Each account's number in the request log (migration 006).
			exec(`INSERT INTO request_log_accounts (id) SELECT id FROM accounts`)
			fill := func(from, n int, created int64) {
				t.Helper()
				for i := from; i < from+n; i++ {
					exec(c.insert, fmt.Sprint(i), created)
				}
			}
			count := func() int64 {
				t.Helper()
				var n int64
				if err := db.reader(ctx).QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			purge := c.purge(db)

			// Ten expired rows an account go in batches of three, through
			// every account; the two fresh ones stay.
			fill(0, 10, old)
			fill(10, 2, fresh)
			if n, err := purge(ctx, cutoff); n != 10*accounts || err != nil {
				t.Fatalf("purge = %d, %v; want %d, nil", n, err, 10*accounts)
			}
			if got := count(); got != 2*accounts {
				t.Fatalf("%d rows after the purge, want %d", got, 2*accounts)
			}
			if n, err := purge(ctx, cutoff); n != 0 || err != nil {
				t.Fatalf("purge of nothing = %d, %v; want 0, nil", n, err)
			}

			// Ended before the first batch: nothing goes. Ended after it:
			// that batch's rows are gone and counted.
			fill(20, 10, old)
			before := count()
			done, cancel := context.WithCancel(ctx)
			cancel()
			if n, err := purge(done, cutoff); n != 0 || !errors.Is(err, context.Canceled) {
				t.Fatalf("purge with an ended context = %d, %v; want 0, context.Canceled", n, err)
			}
			midway := &endsAfter{Context: ctx}
			midway.n.Store(2) // the purge's check and the committer's, for one batch
			n, err := purge(midway, cutoff)
			if n != int64(purgeBatch) || !errors.Is(err, context.Canceled) || count() != before-n {
				t.Fatalf("purge ended after a batch = %d, %v, %d rows left of %d; want %d, context.Canceled",
					n, err, count(), before, purgeBatch)
			}
			if n, err := purge(ctx, cutoff); n != 10*accounts-int64(purgeBatch) || err != nil {
				t.Fatalf("rest of the purge = %d, %v", n, err)
			}

			// A batch that fails ends the purge with its error; the
			// batches before it stay deleted.
			fill(30, 10, old)
			before = count()
			exec(c.fail)
			n, err = purge(ctx, cutoff)
			if err == nil || !strings.Contains(err.Error(), "boom") || n%int64(purgeBatch) != 0 || count() != before-n {
				t.Fatalf("purge with a failing batch = %d, %v, %d rows left of %d", n, err, count(), before)
			}
		})
	}
}
