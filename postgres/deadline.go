package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// callTimeout bounds each statement, batch and pool acquire on the client
// side, whatever statement_timeout says. statement_timeout bounds a
// statement on the server, but a server that cannot act on it (its disk
// stalled, its process stopped) or a network that drops everything without
// a reset would hold the request and its connection until the client hung
// up. It is longer than defaultStatementTimeout, so that the server's own
// bound, with its clearer error, comes first.
var callTimeout = 25 * time.Second

// unboundedKey marks a context whose calls callTimeout does not bound:
// migrations, which may rewrite large tables and wait for another
// instance's.
type unboundedKey struct{}

func unbounded(ctx context.Context) context.Context {
	return context.WithValue(ctx, unboundedKey{}, true)
}

// cancelKey carries the cancel function of the bound that a Start method
// added, for the matching End method.
type cancelKey struct{}

// deadlines applies callTimeout through pgx's tracer hooks, whose Start
// methods return the context that the rest of the call uses, and whose End
// methods run when it is over (for a query: when its rows are closed).
type deadlines struct{}

var (
	_ pgx.QueryTracer       = deadlines{}
	_ pgx.BatchTracer       = deadlines{}
	_ pgxpool.AcquireTracer = deadlines{}
)

func (deadlines) start(ctx context.Context) context.Context {
	if ctx.Value(unboundedKey{}) != nil {
		// A nil cancel hides an enclosing call's from this call's end.
		return context.WithValue(ctx, cancelKey{}, context.CancelFunc(nil))
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	return context.WithValue(ctx, cancelKey{}, cancel)
}

func (deadlines) end(ctx context.Context) {
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok && cancel != nil {
		cancel()
	}
}

func (d deadlines) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return d.start(ctx)
}

func (d deadlines) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	d.end(ctx)
}

func (d deadlines) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return d.start(ctx)
}

func (deadlines) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (d deadlines) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) {
	d.end(ctx)
}

func (d deadlines) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return d.start(ctx)
}

func (d deadlines) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	d.end(ctx)
}
