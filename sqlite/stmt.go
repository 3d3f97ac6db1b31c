package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the cache; queries past it run unprepared. The
// engine builds its SQL from a fixed set of fragments, so the bound is only
// a guard.
const maxCachedStmts = 512

// preparer is what *sql.DB (the read pool) and *sql.Conn (the committer's
// connection) offer.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	querier
}

// stmtCache prepares each query once and reuses it, so that the hot path
// parses no SQL: SQLite's parser was an eighth of the server's CPU.
type stmtCache struct {
	p     preparer
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
	// uncancelled runs the statements without their context's cancellation
	// (newWriteStmtCache).
	uncancelled bool
}

func newStmtCache(p preparer) *stmtCache {
	return &stmtCache{p: p, stmts: map[string]*sql.Stmt{}}
}

// newWriteStmtCache is the committer's cache. Its statements run without
// their caller's cancellation. SQLite rolls back the whole transaction when
// a write statement in it is interrupted, so a client leaving midway undid
// every other write of its group commit; and modernc.org/sqlite watches a
// cancellable context with a goroutine and a progress handler for every
// statement, 9% of an idempotent create's CPU. The committer's statements
// are short (a purge goes in batches), and a job it has taken runs to its
// end.
func newWriteStmtCache(p preparer) *stmtCache {
	c := newStmtCache(p)
	c.uncancelled = true
	return c
}

func (c *stmtCache) context(ctx context.Context) context.Context {
	if c.uncancelled {
		// Nothing below the cache reads the context's values.
		return context.Background()
	}
	return ctx
}

// stmt returns the prepared query, or nil when the cache is full.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStmts
	c.mu.RUnlock()
	if ok || full {
		return st, nil
	}
	st, err := c.p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok {
		// Another reader prepared it meanwhile.
		st.Close()
		return prev, nil
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = c.context(ctx)
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		return c.p.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = c.context(ctx)
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		return c.p.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext falls back to an unprepared query on a failed prepare,
// which then reports the same error through Scan.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = c.context(ctx)
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		return c.p.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}
