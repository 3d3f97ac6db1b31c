package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"
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

// job is one write: fn runs with ctx carrying the transaction.
type job struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// inTx runs fn in the transaction that ctx carries, or as a job of the
// group committer, returning once its work has committed or rolled back.
func (db *DB) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.inTxWithin(ctx, 0, fn)
}

// errWriterBusy is what a write gets that waited longer than it may for
// the committer, held by a slow write.
var errWriterBusy = errors.New("sqlite: timed out waiting for the writer")

// inTxWithin is inTx for a write that gives up when the committer has not
// taken it within wait (0: no limit). The committer takes a job only when
// it can run it, so the bound is on the wait, never on the work.
func (db *DB) inTxWithin(ctx context.Context, wait time.Duration, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return fn(ctx, tx)
	}
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
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
	for {
		select {
		case j := <-db.jobs:
			db.commitBatch(conn, j)
		case <-db.quit:
			return
		}
	}
}

// commitBatch runs first and every job already waiting in one transaction.
func (db *DB) commitBatch(conn *sql.Conn, first *job) {
	// Not the jobs' contexts: one caller leaving must not roll back others.
	ctx := context.Background()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		first.done <- fmt.Errorf("begin: %w", err)
		return
	}
	batch := []*job{first}
	errs := []error{db.runJob(tx, first)}
	// When no job waits, yield once before committing: the requests that
	// the batch's work kept off the CPU then reach the queue and share this
	// commit. On one core, batches grew from 1.1 to about 22 jobs.
	for yielded := false; len(batch) < maxBatch && !errors.Is(errs[len(errs)-1], errTxLost); {
		select {
		case j := <-db.jobs:
			batch = append(batch, j)
			errs = append(errs, db.runJob(tx, j))
			yielded = false
			continue
		default:
		}
		if yielded {
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
	}
	db.resources.batchDone()
	for i, j := range batch {
		if errs[i] == nil {
			errs[i] = commitErr
		}
		j.done <- errs[i]
	}
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
