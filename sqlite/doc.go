// Package sqlite implements the Docs API services on an embedded SQLite file.
//
// The root package holds the services' control flow where the engines share
// it (NewAccountService, NewAPIKeyService, NewResourceService,
// NewRequestLogService, NewSessionService over a store); this package holds
// the SQL that those stores run, and the services whose flow is SQLite's
// own. Where the PostgreSQL engine (package postgres) does the same, its
// files and functions have the same names, so that a diff between the two
// shows their SQL.
//
//   - db.go: DB, Open, migrations, and the read pool (reader) and the
//     committer's connection (writer) that statements run on.
//   - commit.go: the group committer: one goroutine owns the write
//     connection and commits every waiting write at once (inTx).
//   - stmt.go: the prepared-statement cache of both connections.
//   - list.go: page, the SQL of one page of a list, and queryAll.
//   - services.go: NewServices, every service on one DB.
//   - account.go, apikey.go, resource.go, session.go: the stores' SQL.
//   - requestlog.go: the request-log store's SQL: batched inserts, the
//     filter, cursor and orders of listings and the tail, the Dashboard's
//     aggregates.
//   - idempotency.go: the IdempotencyService: claims live in the process's
//     memory and commit with the work they guard.
//   - purge.go: deleting expired rows in batches, between other writes.
//   - resourcecache.go: the resources last read or written, by id, so that
//     a GET of a recent resource does not query the file.
//   - migrations/: the schema, applied in file-name order.
package sqlite
