package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/docsapi/docsapi"
	_ "modernc.org/sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an SQLite database. Writes go through one connection, owned by the
// group committer (commit.go), so that they queue in Go instead of failing
// on SQLite's busy lock and share fsyncs; reads use a pool.
type DB struct {
	write *sql.DB
	read  *sql.DB

	writeStmts, readStmts *stmtCache

	// claims are the idempotency claims whose work runs in this process.
	claimsMu sync.Mutex
	claims   map[claimKey]*docsapi.IdempotencyClaim

	resources *resourceCache
	logNames  logNames

	jobs      chan *job
	quit      chan struct{}
	closeOnce sync.Once
	done      chan struct{}

	// The committer's: when it last committed with a fsync, whether lazy
	// work committed since waits for one, and whether its connection
	// commits without one, and without checkpoints, now (inLazyTx).
	synced       time.Time
	unsyncedWork bool
	unsynced     bool
	tempOnDisk   bool
}

// querier is what both *sql.DB and *sql.Tx offer, and what the engine's
// queries run on.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// execer is what a write outside a transaction needs.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// txKey is the context key of the committer's transaction, so that store
// methods called inside inTx (also from the root package's control flow)
// join it.
type txKey struct{}

// ParsePath returns the file path of a DOCSAPI_DATABASE_URL: a plain path
// or an sqlite: URL.
func ParsePath(dsn string) (string, error) {
	if !strings.HasPrefix(dsn, "sqlite:") {
		return dsn, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	p := u.Opaque
	if p == "" {
		p = u.Host + u.Path
	}
	if p == "" {
		return "", errors.New("sqlite url names no file")
	}
	return p, nil
}

// Open opens (creating if needed) the SQLite file at path.
func Open(path string) (*DB, error) {
	// synchronous(FULL): a 2xx is only sent after the commit reached the disk.
	// temp_store(MEMORY): each group-commit job's savepoint journal stays in
	// memory instead of spilling to a temporary file with a pwrite per page.
	// wal_autocheckpoint(1000), SQLite's default, stated: a checkpoint
	// holds every write while it copies the WAL into the file, so a longer
	// WAL lengthens the writes' tail (creates' p99 at half the peak 13-14 ms
	// at 16 MiB, 6 ms at 4 MiB; docs/performance.md, fifth round). Batches
	// of lazy work do not checkpoint: syncLazyWork does (commitBatch).
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(1000)"
	// The path goes into a file: URI, where %, ? and # have meanings.
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	write, err := sql.Open("sqlite", uri+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", uri+"?"+pragmas)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(8)
	conn, err := write.Conn(context.Background())
	if err == nil {
		err = conn.PingContext(context.Background())
	}
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db := &DB{write: write, read: read,
		writeStmts: newWriteStmtCache(conn), readStmts: newStmtCache(read), claims: map[claimKey]*docsapi.IdempotencyClaim{},
		resources: newResourceCache(),
		jobs:      make(chan *job), quit: make(chan struct{}), done: make(chan struct{})}
	go db.commitLoop(conn)
	return db, nil
}

// Close stops the group committer, after the batch it runs, and closes both
// pools.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.quit) })
	<-db.done
	return errors.Join(db.writeStmts.close(), db.readStmts.close(), db.write.Close(), db.read.Close())
}

// Ping checks that the file answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// Migrate applies the embedded migrations that the file lacks, each in its
// own transaction, in version order, and returns those it applied: none of
// those that another process applied meanwhile.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if _, err := db.writer(ctx).ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := docsapi.Migrations(migrations)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, name := range names {
		var applied bool
		if err := db.inBulkTx(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
			applied, err = migrate(ctx, tx, name)
			return err
		}); err != nil {
			return done, fmt.Errorf("migration %s: %w", name, err)
		}
		if applied {
			done = append(done, name)
		}
	}
	return done, nil
}

// migrate applies one migration unless the file has it, and reports whether
// it did. Its statements are not cached: each runs once.
func migrate(ctx context.Context, tx *sql.Tx, name string) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, name).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, name, docsapi.Now().UnixMicro())
	return err == nil, err
}

// writer returns the transaction that ctx carries; outside one, each
// statement runs as its own job of the group committer. Unlike the
// PostgreSQL engine's one conn, reads and writes go to different places:
// SQLite has one writer, and reads on the pool wait for none.
func (db *DB) writer(ctx context.Context) execer {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return db.writeStmts
	}
	return autoCommit{db}
}

// reader returns the transaction that ctx carries, or the read pool, so that
// reads inside a transaction see its own writes.
func (db *DB) reader(ctx context.Context) querier {
	if _, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		// The committer's connection, whose open transaction the
		// statement joins.
		return db.writeStmts
	}
	return db.readStmts
}

// autoCommit runs each statement in a transaction of its own.
type autoCommit struct{ db *DB }

func (a autoCommit) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = a.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err = a.db.writeStmts.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// Times are stored as Unix microseconds: SQLite has no time type, and
// integers compare in index ranges. They are read back as UTC.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}
