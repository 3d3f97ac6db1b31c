// Package postgres implements the Docs API services on PostgreSQL, so that
// several server instances can share one store.
//
// The root package holds the services' control flow where the engines share
// it (NewAccountService, NewAPIKeyService, NewResourceService,
// NewRequestLogService, NewSessionService over a store); this package holds
// the SQL that those stores run, and the services whose flow is PostgreSQL's
// own. Where the SQLite engine (package sqlite) does the same, its files and
// functions have the same names, so that a diff between the two shows their
// SQL.
//
//   - db.go: DB, Open (with the sessions' statement_timeout), migrations
//     under an advisory lock, and conn, the transaction in ctx or the pool.
//   - deadline.go: the client-side bound of every statement, batch and pool
//     wait, through pgx's tracer hooks.
//   - list.go: page, the SQL of one page of a list; bind, which numbers
//     the $n placeholders of SQL built from fragments; and queryAll.
//   - services.go: NewServices, every service on one DB.
//   - account.go, apikey.go, resource.go, session.go: the stores' SQL.
//   - requestlog.go: the request-log store's SQL: batched inserts in seq
//     order across instances, the filter, cursor and orders of listings and
//     the tail, the Dashboard's aggregates.
//   - idempotency.go: the IdempotencyService: claims are rows, committed
//     before the work, so that every instance sees them, with a lease that
//     Extend renews.
//   - migrations/: the schema, applied in file-name order.
package postgres
