package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// synchronousIn returns the synchronous setting that the batch running j
// commits with (1 NORMAL, 2 FULL), read inside j's work.
func synchronousIn(t *testing.T, submit func(context.Context, func(context.Context, *sql.Tx) error) error) int {
	t.Helper()
	return pragmasIn(t, submit, `PRAGMA synchronous`)[0]
}

// pragmasIn returns the values of settings of the write connection, read
// inside one job's work.
func pragmasIn(t *testing.T, submit func(context.Context, func(context.Context, *sql.Tx) error) error, pragmas ...string) []int {
	t.Helper()
	v := make([]int, len(pragmas))
	err := submit(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		for i, p := range pragmas {
			if err := tx.QueryRowContext(ctx, p).Scan(&v[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLazyCommits: a batch of lazy jobs commits without its fsync while the
// last one is recent, and every other batch with it; only the batches that
// sync may checkpoint. The steps run in order, each after an idle pause.
func TestLazyCommits(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	const normal, full = 1, 2
	steps := []struct {
		name  string
		pause time.Duration
		lazy  bool
		want  int
	}{
		{"a write", 0, false, full},
		{"a lazy write after a synced commit", 0, true, normal},
		{"a write after a lazy one", 0, false, full},
		{"a lazy write half lazySyncInterval after a fsync", lazySyncInterval / 2, true, normal},
		{"a write", 0, false, full},
		{"a lazy write longer than lazySyncInterval after a fsync", lazySyncInterval + 100*time.Millisecond, true, full},
		{"a lazy write right after that", 0, true, normal},
	}
	for _, st := range steps {
		time.Sleep(st.pause)
		submit := db.inTx
		if st.lazy {
			submit = db.inLazyTx
		}
		got := pragmasIn(t, submit, `PRAGMA synchronous`, `PRAGMA wal_autocheckpoint`)
		checkpoint := 1000
		if st.want == normal {
			checkpoint = 0
		}
		if got[0] != st.want || got[1] != checkpoint {
			t.Errorf("%s: synchronous %d, wal_autocheckpoint %d; want %d, %d", st.name, got[0], got[1], st.want, checkpoint)
		}
	}
}

// TestWriteDuringLazyBatch: a write that arrives while a lazy batch runs is
// left to the next batch, which syncs, and both commit.
func TestWriteDuringLazyBatch(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	synchronousIn(t, db.inTx) // a recent fsync, so that the next batch is lazy
	writeDone := make(chan int, 1)
	err := db.inLazyTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		go func() {
			var level int
			db.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&level)
			})
			writeDone <- level
		}()
		// The write waits on the committer, which runs this job.
		time.Sleep(50 * time.Millisecond)
		_, err := db.writer(ctx).ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ('acct_lazy', 'Lazy', 0)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-writeDone; got != 2 {
		t.Errorf("the write committed with synchronous %d, want 2 (FULL)", got)
	}
	var n int
	if err := db.reader(context.Background()).QueryRowContext(context.Background(), `SELECT count(*) FROM accounts WHERE id = 'acct_lazy'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the lazy job's row: %d, %v", n, err)
	}
}

// TestLazyWorkSyncedWhenIdle: lazy work that no later commit synced is
// synced once lazySyncInterval has passed without one.
func TestLazyWorkSyncedWhenIdle(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	// The committer's fields, read by a lazy job: as they were after the
	// batch before it.
	inspect := func() (waiting bool, synced time.Time) {
		t.Helper()
		if err := db.inLazyTx(context.Background(), func(context.Context, *sql.Tx) error {
			waiting, synced = db.unsyncedWork, db.synced
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return waiting, synced
	}
	synchronousIn(t, db.inTx)
	synchronousIn(t, db.inLazyTx)
	lazy := time.Now()
	if waiting, _ := inspect(); !waiting {
		t.Fatal("a lazy commit left no work waiting for its fsync")
	}
	time.Sleep(lazySyncInterval + 300*time.Millisecond)
	if waiting, synced := inspect(); waiting || synced.Before(lazy) {
		t.Errorf("idle for longer than lazySyncInterval: work waiting %v, last fsync %v ago, the lazy commit %v ago",
			waiting, time.Since(synced), time.Since(lazy))
	}
}

// TestLazyWorkWaitsForReaders: a reader's snapshot keeps the checkpoint
// from copying the lazy work, which then stays waiting for its fsync and
// is synced on a later try, once the reader is gone.
func TestLazyWorkWaitsForReaders(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	bg := context.Background()
	waiting := func() (w bool) {
		t.Helper()
		if err := db.inLazyTx(bg, func(context.Context, *sql.Tx) error {
			w = db.unsyncedWork
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return w
	}
	synchronousIn(t, db.inTx)
	reader, err := db.read.Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var n int
	if _, err := reader.ExecContext(bg, `BEGIN`); err != nil {
		t.Fatal(err)
	}
	if err := reader.QueryRowContext(bg, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.inLazyTx(bg, func(ctx context.Context, _ *sql.Tx) error {
		_, err := db.writer(ctx).ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ('acct_held', 'Held', 0)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lazySyncInterval + 300*time.Millisecond)
	if !waiting() {
		t.Fatal("the checkpoint could not copy the lazy work, yet it was taken for synced")
	}
	if _, err := reader.ExecContext(bg, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2*lazySyncInterval + 300*time.Millisecond)
	if waiting() {
		t.Error("the reader is gone, and the lazy work still waits for its fsync")
	}
}

// TestBulkJobRunsAlone: a bulk job sorts on disk (temp_store FILE), in a
// transaction of its own; a write that arrives meanwhile runs in the next
// batch, with temporary storage back in memory.
func TestBulkJobRunsAlone(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	const file, memory = 1, 2
	tempStore := func(ctx context.Context, tx *sql.Tx) (int, error) {
		var store int
		err := tx.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&store)
		return store, err
	}
	writeStore := make(chan int, 1)
	var bulkStore int
	err := db.inBulkTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		go func() {
			var store int
			if err := db.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) (err error) {
				store, err = tempStore(ctx, tx)
				return err
			}); err != nil {
				t.Error(err)
			}
			writeStore <- store
		}()
		// The write waits on the committer, which runs this job.
		time.Sleep(50 * time.Millisecond)
		var err error
		bulkStore, err = tempStore(ctx, tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if bulkStore != file {
		t.Errorf("the bulk job ran with temp_store %d, want %d (FILE)", bulkStore, file)
	}
	if got := <-writeStore; got != memory {
		t.Errorf("the write after it ran with temp_store %d, want %d (MEMORY)", got, memory)
	}
}

// TestBulkJobAfterABatch: a bulk job that arrives while a batch runs is
// left to a batch of its own, with temporary storage on disk.
func TestBulkJobAfterABatch(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	const file = 1
	var batchTx, bulkTx *sql.Tx
	bulkStore := make(chan int, 1)
	err := db.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		batchTx = tx
		go func() {
			var store int
			if err := db.inBulkTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
				bulkTx = tx
				return tx.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&store)
			}); err != nil {
				t.Error(err)
			}
			bulkStore <- store
		}()
		// The bulk job waits on the committer, which runs this job.
		time.Sleep(50 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-bulkStore; got != file || bulkTx == batchTx {
		t.Errorf("the bulk job ran with temp_store %d (want %d), in the batch's transaction: %v", got, file, bulkTx == batchTx)
	}
}

// TestLazyBatchesDoNotCheckpoint: a lazy batch leaves even 8 MiB in the
// WAL, twice the size at which a commit that syncs checkpoints, and
// syncLazyWork copies it into the database file lazySyncInterval after the
// last fsync.
func TestLazyBatchesDoNotCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docsapi.db")
	db := openMigrated(t, path)
	bg := context.Background()
	const size = 8 << 20
	fileSize := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if err := db.inTx(bg, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE filler (b BLOB)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	synced := time.Now()
	var autocheckpoint int
	if err := db.inLazyTx(bg, func(ctx context.Context, tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&autocheckpoint); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO filler VALUES (randomblob(?))`, size)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if autocheckpoint != 0 {
		t.Fatalf("wal_autocheckpoint %d in a lazy batch, want 0", autocheckpoint)
	}
	// syncLazyWork may already have run on a slow machine.
	if got := fileSize(); got >= size && time.Since(synced) < lazySyncInterval {
		t.Fatalf("the database file is %d bytes right after the lazy commit: it checkpointed", got)
	}
	for deadline := time.Now().Add(lazySyncInterval + 3*time.Second); fileSize() < size; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes %v after the lazy commit: syncLazyWork did not checkpoint", fileSize(), lazySyncInterval+3*time.Second)
		}
	}
}
