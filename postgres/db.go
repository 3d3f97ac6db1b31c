package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// defaultMaxConns is the pool size unless the URL sets pool_max_conns. The
// work of an idempotent request holds a connection for its whole
// transaction, so pgx's default of max(4, NumCPU) is small for a server;
// 20 still lets five instances fit PostgreSQL's default max_connections.
const defaultMaxConns = 20

// defaultConnectTimeout bounds a new connection, handshake included, unless
// the URL sets connect_timeout (in seconds).
const defaultConnectTimeout = 10 * time.Second

// defaultStatementTimeout bounds each statement unless the connection or
// the server sets statement_timeout itself (the URL, PGOPTIONS, ALTER ROLE
// or ALTER DATABASE ... SET, 0 included): without it, a statement stuck
// behind a lock or a bad plan holds its request and its pool connection for
// ever. It is longer than docsapi.IdempotencyWait, whose waits end on their
// own, and shorter than the HTTP server's 30 s WriteTimeout, so that a
// request held by one such statement still gets its 500.
const defaultStatementTimeout = "20s"

// queryCanceled is PostgreSQL's SQLSTATE for a statement that
// statement_timeout (or a cancel request) ended.
const queryCanceled = "57014"

// purgeBatch is how many rows one purge statement deletes: a purge of any
// backlog is then statements well within the statement timeout.
var purgeBatch = 10000

// DB is a pool of connections to one PostgreSQL database. Reads and writes
// share it: PostgreSQL runs them concurrently.
type DB struct {
	pool *pgxpool.Pool
}

// querier is what both *pgxpool.Pool and pgx.Tx offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// txKey is the context key of the transaction that inTx opened, so that
// store methods called inside it (also from the root package's control
// flow) join it.
type txKey struct{}

// Open connects to the database at url, a postgres:// URL or key=value
// string as pgx accepts it (pool_max_conns and other pool_* settings too).
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx masks the password in the connection string it quotes.
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if !strings.Contains(url, "connect_timeout") {
		// Without connect_timeout in the URL, pgx waits for ever on a server
		// that accepts the connection but does not answer.
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	cfg.ConnConfig.Tracer = deadlines{}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		// The domain's times are UTC, as the SQLite engine returns them.
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		// Set in the session, not as a startup parameter, which would
		// override the role's or the database's own setting; source is
		// "default" only where nothing set it. Bounded by callTimeout, as
		// every call is: the pool's context here is not the caller's.
		_, err := conn.Exec(ctx, `SELECT set_config('statement_timeout', '`+defaultStatementTimeout+`', false)
			FROM pg_settings WHERE name = 'statement_timeout' AND source = 'default'`)
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == queryCanceled {
			// Only a timeout that something already set cancels it.
			return nil
		} else if err != nil {
			return fmt.Errorf("set statement_timeout: %w", err)
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return db, nil
}

// Close closes every connection of the pool, waiting for those in use.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.pool.Ping(ctx)
}

// Migrate applies the embedded migrations that the schema lacks, in version
// order, in one transaction, and returns those it applied. An advisory
// lock, one per schema, makes instances that start together apply them
// once, one after the other: the later ones apply, and return, none.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	names, err := docsapi.Migrations(migrations)
	if err != nil {
		return nil, err
	}
	var done []string
	ctx = unbounded(ctx)
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// A migration may rewrite a large table, and an instance waits here
		// for another's migrations: neither is bounded like a request.
		if _, err := tx.Exec(ctx, `SELECT set_config('statement_timeout', '0', true)`); err != nil {
			return fmt.Errorf("lift statement_timeout: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('docsapi.migrate.' || current_schema()))`); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		for _, name := range names {
			applied, err := migrate(ctx, tx, name)
			if err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if applied {
				done = append(done, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// migrate applies one migration unless the schema has it, and reports whether
// it did.
func migrate(ctx context.Context, tx pgx.Tx, name string) (bool, error) {
	var applied bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, name).Scan(&applied); err != nil {
		return false, err
	}
	if applied {
		return false, nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return false, err
	}
	// Exec without arguments uses the simple protocol, which runs a file of
	// several statements.
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return false, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, name)
	return err == nil, err
}

// conn returns the transaction that ctx carries, or the pool. Reads and
// writes share it, where the SQLite engine has a reader and a writer.
func (db *DB) conn(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return tx
	}
	return db.pool
}

// inTx runs fn in the transaction that ctx carries, or in a new one that
// the ctx passed to fn carries.
func (db *DB) inTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return fn(ctx, tx)
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		return fn(context.WithValue(ctx, txKey{}, tx), tx)
	})
}
