package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/docsapi/docsapi/internal/diskwait"
)

// Group commit. With synchronous=FULL every commit waits for the disk, so
// writes that commit one by one leave the CPU idle. One goroutine owns the
// write connection: it opens a transaction, runs every job that is waiting,
// each in its own savepoint, commits once, and only then answers them all.
// A job that fails rolls back to its savepoint and gets its own error; the
// others still commit. No job is answered before the commit holding its
// work is on disk.

// maxBatch bounds the jobs of one commit, so that a steady stream of writes
// still commits now and then.
const maxBatch = 256

// errClosed answers writes that arrive after Close.
var errClosed = errors.New("sqlite: database closed")

// job is one write: fn runs with ctx carrying the transaction. A lazy
// job's work may reach the disk after it is answered (inLazyTx).
type job struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
	lazy bool
	bulk bool
}

// lazySyncInterval bounds how long the work of lazy jobs may stay unsynced,
// and so how much of it the WAL holds, as lazy commits do not checkpoint:
// at a second, a write among many reads took 25-35 ms instead of 7 to
// checkpoint that second of request log in its commit (docs/performance.md,
// seventh round).
const lazySyncInterval = 250 * time.Millisecond

// inTx runs fn in the transaction that ctx carries, or as a job of the
// group committer, returning once its work has committed or rolled back.
func (db *DB) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.submit(ctx, &job{fn: fn}, 0)
}

// inLazyTx is inTx for work that may be lost with the machine, not with the
// process: a batch of only such jobs commits without its fsync (SQLite's
// synchronous=NORMAL), unless none has been made for lazySyncInterval. The
// work is in the WAL, which the operating system holds if the process
// dies, and the next commit that syncs makes it durable too. The request
// log's entries are such work: they are already kept in memory before
// they are written, and a fsync each 50 ms held the only CPU of a one-core
// server for a millisecond at a time (docs/performance.md).
func (db *DB) inLazyTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.submit(ctx, &job{fn: fn, lazy: true}, 0)
}

// inBulkTx is inTx for work too large to sort in memory, a migration that
// rebuilds a table: it runs in a transaction of its own, with SQLite's
// temporary storage on disk. In memory, where a batch's savepoint journals
// belong, migration 006 over a million request-log entries took 680 MB and
// 8.2 s; on disk 38 MB and 6.6 s.
func (db *DB) inBulkTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.submit(ctx, &job{fn: fn, bulk: true}, 0)
}

// errWriterBusy is what a write gets that waited longer than it may for
// the committer, held by a slow write.
var errWriterBusy = errors.New("sqlite: timed out waiting for the writer")

// inTxWithin is inTx for a write that gives up when the committer has not
// taken it within wait (0: no limit). The committer takes a job only when
// it can run it, so the bound is on the wait, never on the work.
func (db *DB) inTxWithin(ctx context.Context, wait time.Duration, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.submit(ctx, &job{fn: fn}, wait)
}

// submit runs j in the transaction that ctx carries, or hands it to the
// committer and waits for its answer; see inTxWithin for wait.
func (db *DB) submit(ctx context.Context, j *job, wait time.Duration) error {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return j.fn(ctx, tx)
	}
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	j.ctx, j.done = ctx, make(chan error, 1)
	select {
	case db.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-timeout:
		return errWriterBusy
	case <-db.quit:
		return errClosed
	}
	// Once taken, a job is always answered: its caller must not report a
	// failure for work that then commits.
	return <-j.done
}

// commitLoop is the group committer; it owns conn.
func (db *DB) commitLoop(conn *sql.Conn) {
	defer close(db.done)
	defer conn.Close()
	var next *job
	var syncDue *time.Timer // runs while lazy work waits for its fsync
	for {
		if syncDue == nil && db.unsyncedWork {
			syncDue = time.NewTimer(time.Until(db.synced.Add(lazySyncInterval)))
		}
		var due <-chan time.Time
		if syncDue != nil {
			due = syncDue.C
		}
		if next == nil {
			select {
			case next = <-db.jobs:
			case <-due:
				syncDue = nil
				if !db.syncLazyWork() {
					// Not this time: again a full interval later.
					syncDue = time.NewTimer(lazySyncInterval)
				}
				continue
			case <-db.quit:
				db.syncLazyWork()
				return
			}
		}
		next = db.commitBatch(conn, next)
		if syncDue != nil && !db.unsyncedWork {
			syncDue.Stop()
			syncDue = nil
		}
	}
}

// syncLazyWork makes the work of lazy jobs committed without fsync durable,
// when no commit since did, and reports whether it is. A checkpoint syncs
// the WAL before it copies frames and the file after; the work is durable
// once every frame is copied. A reader's snapshot can hold frames back, and
// a failed checkpoint leaves them too: the next commit that syncs, or the
// next try, makes the work durable then.
func (db *DB) syncLazyWork() bool {
	if !db.unsyncedWork {
		return true
	}
	var busy, frames, copied int
	var err error
	// Four times a second under load, and it syncs twice: the requests
	// run meanwhile.
	diskwait.Do(func() {
		err = db.writeStmts.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	})
	if err != nil || copied < frames {
		return false
	}
	db.synced, db.unsyncedWork = time.Now(), false
	return true
}

// commitBatch runs first and every job already waiting in one transaction.
// A batch that starts with a lazy job commits without its fsync (inLazyTx)
// and takes only lazy jobs: it returns the first other job, for the next
// batch, which does sync. A bulk job is a batch of its own (inBulkTx):
// one arriving meanwhile is returned for the next batch too.
func (db *DB) commitBatch(conn *sql.Conn, first *job) (next *job) {
	// Not the jobs' contexts: one caller leaving must not roll back others.
	ctx := context.Background()
	unsynced := first.lazy && time.Since(db.synced) < lazySyncInterval
	err := db.setPragmas(ctx, &db.unsynced, unsynced, lazyPragmas, syncedPragmas)
	if err == nil {
		err = db.setPragmas(ctx, &db.tempOnDisk, first.bulk, bulkPragmas, smallPragmas)
	}
	if err != nil {
		first.done <- err
		return nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		first.done <- fmt.Errorf("begin: %w", err)
		return nil
	}
	batch := []*job{first}
	errs := []error{db.runJob(tx, first)}
	// When no job waits, yield once before committing: the requests that
	// the batch's work kept off the CPU then reach the queue and share this
	// commit. On one core, batches grew from 1.1 to about 22 jobs.
	for yielded := false; !first.bulk && len(batch) < maxBatch && !errors.Is(errs[len(errs)-1], errTxLost); {
		select {
		case j := <-db.jobs:
			if unsynced && !j.lazy || j.bulk {
				next = j
				break
			}
			batch = append(batch, j)
			errs = append(errs, db.runJob(tx, j))
			yielded = false
			continue
		default:
		}
		if yielded || next != nil {
			break
		}
		runtime.Gosched()
		yielded = true
	}
	var commitErr error
	if errors.Is(errs[len(errs)-1], errTxLost) {
		// SQLite rolled the whole transaction back (a full disk, an I/O
		// error): every job of the batch failed.
		tx.Rollback()
		commitErr = errs[len(errs)-1]
	} else if err := tx.Commit(); err != nil {
		commitErr = fmt.Errorf("commit: %w", err)
	} else if unsynced {
		db.unsyncedWork = true
	} else {
		db.synced, db.unsyncedWork = time.Now(), false
	}
	db.resources.batchDone()
	for i, j := range batch {
		if errs[i] == nil {
			errs[i] = commitErr
		}
		j.done <- errs[i]
	}
	return next
}

// The write connection's settings for the batch about to start. A lazy
// batch commits without its fsync, and without checkpointing: a checkpoint
// syncs, and syncLazyWork runs it where the requests go on meanwhile. A
// batch that syncs still checkpoints past 1,000 frames, then with up to
// lazySyncInterval of lazy work, on the only P: under diskwait, every such
// commit doubled the creates' p99 at half the peak (docs/performance.md,
// seventh round). A bulk batch keeps its temporary storage on disk.
var (
	lazyPragmas   = []string{`PRAGMA synchronous = NORMAL`, `PRAGMA wal_autocheckpoint = 0`}
	syncedPragmas = []string{`PRAGMA synchronous = FULL`, `PRAGMA wal_autocheckpoint = 1000`}
	bulkPragmas   = []string{`PRAGMA temp_store = FILE`}
	smallPragmas  = []string{`PRAGMA temp_store = MEMORY`}
)

// setPragmas switches the write connection between two sets of settings,
// on when want, else off; *cur says which it has. SQLite changes
// synchronous only outside a transaction, so it is done before the batch,
// and only when *cur differs. After a failure *cur is unchanged, and the
// next batch sets the whole set again.
func (db *DB) setPragmas(ctx context.Context, cur *bool, want bool, on, off []string) error {
	if want == *cur {
		return nil
	}
	settings := off
	if want {
		settings = on
	}
	for _, s := range settings {
		if _, err := db.writeStmts.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	*cur = want
	return nil
}

// errTxLost marks a job after which the transaction no longer exists.
var errTxLost = errors.New("sqlite: transaction rolled back")

// runJob runs j in a savepoint of tx, undoing its writes when it fails.
// The savepoint statements run prepared on tx's connection, like the jobs'
// own: parsed once rather than twice a job.
func (db *DB) runJob(tx *sql.Tx, j *job) (err error) {
	if err := j.ctx.Err(); err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := db.writeStmts.ExecContext(ctx, `SAVEPOINT job`); err != nil {
		return fmt.Errorf("%w: savepoint: %w", errTxLost, err)
	}
	err = callJob(j, tx)
	if err == nil {
		if _, err := db.writeStmts.ExecContext(ctx, `RELEASE job`); err != nil {
			return fmt.Errorf("%w: release savepoint: %w", errTxLost, err)
		}
		return nil
	}
	if _, rerr := db.writeStmts.ExecContext(ctx, `ROLLBACK TO job`); rerr != nil {
		return fmt.Errorf("%w: %w; rollback to savepoint: %w", errTxLost, err, rerr)
	}
	if _, rerr := db.writeStmts.ExecContext(ctx, `RELEASE job`); rerr != nil {
		return fmt.Errorf("%w: %w; release savepoint: %w", errTxLost, err, rerr)
	}
	return err
}

// callJob runs j's work; a panic fails the job instead of the committer,
// which every other write waits on.
func callJob(j *job, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write: %v\n%s", p, debug.Stack())
		}
	}()
	return j.fn(context.WithValue(j.ctx, txKey{}, tx), tx)
}
