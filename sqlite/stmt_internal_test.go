package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
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
