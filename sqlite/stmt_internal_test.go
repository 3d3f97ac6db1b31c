package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestCommitterStatementsIgnoreCancel: once the committer has taken a job,
// its statements run even if the job's context ends meanwhile, and its
// work commits; the read pool's statements still honour cancellation.
func TestCommitterStatementsIgnoreCancel(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	ctx, cancel := context.WithCancel(context.Background())
	err := db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		cancel() // the client left after the job was taken
		if _, err := db.writer(ctx).ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ('acct_left', 'Left', 0)`); err != nil {
			return err
		}
		var n int
		return db.reader(ctx).QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE id = 'acct_left'`).Scan(&n)
	})
	if err != nil {
		t.Fatalf("a taken job whose context ended: %v", err)
	}
	var n int
	if err := db.reader(context.Background()).QueryRowContext(context.Background(), `SELECT count(*) FROM accounts WHERE id = 'acct_left'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the job's row: count %d, %v; want 1", n, err)
	}
	if err := db.reader(ctx).QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n); !errors.Is(err, context.Canceled) {
		t.Fatalf("a read-pool query with an ended context: %v, want context.Canceled", err)
	}
}

// TestClientLeavingMidWriteKeepsBatch: a client that hangs up while its
// write runs no longer undoes the other writes of its group commit. SQLite
// rolls back the whole transaction when a write statement in it is
// interrupted, and it was, on its context's end: the other write of the
// batch then failed too, and its row was lost.
func TestClientLeavingMidWriteKeepsBatch(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	bg := context.Background()
	insert := func(ctx context.Context, query string) error {
		return db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
			_, err := db.writer(ctx).ExecContext(ctx, query)
			return err
		})
	}
	// A first job holds the committer while the other two queue, so that
	// both join the next batch, in order.
	held := make(chan struct{})
	go db.inTx(bg, func(context.Context, *sql.Tx) error {
		time.Sleep(100 * time.Millisecond)
		close(held)
		return nil
	})
	time.Sleep(20 * time.Millisecond)
	other := make(chan error, 1)
	go func() {
		other <- insert(bg, `INSERT INTO accounts (id, name, created_at) VALUES ('acct_other', 'Other', 0)`)
	}()
	time.Sleep(20 * time.Millisecond)
	leaving, leave := context.WithCancel(bg)
	long := make(chan error, 1)
	go func() {
		long <- insert(leaving, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i < 100000)
			INSERT INTO accounts (id, name, created_at) SELECT printf('acct_%d', i), 'x', 0 FROM n`)
	}()
	<-held
	time.Sleep(20 * time.Millisecond) // the long insert runs
	leave()
	// Had its client left before the committer took it, it is skipped.
	if err := <-long; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("the write whose client left: %v; want it done, or skipped with context.Canceled", err)
	}
	if err := <-other; err != nil {
		t.Fatalf("the other write of the batch: %v", err)
	}
	var n int
	if err := db.read.QueryRowContext(bg, `SELECT count(*) FROM accounts WHERE id = 'acct_other'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the other write's row: %d, %v; want 1", n, err)
	}
}
