package postgres

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/internal/testenv"
	"github.com/docsapi/docsapi/storetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func testSchemaURL(t *testing.T) string { return testenv.PostgresURL(t) }

// openURL opens and migrates a DB that t's cleanup closes.
func openURL(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func open(t *testing.T) *DB {
	t.Helper()
	return openURL(t, testSchemaURL(t))
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) docsapi.Services {
		return NewServices(open(t))
	})
}

func TestMigrateTwice(t *testing.T) {
	db := open(t)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateReportsWhatItApplied: every migration on a new schema, none
// once migrated.
func TestMigrateReportsWhatItApplied(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	all, err := db.Migrate(ctx)
	if err != nil || len(all) < 2 || all[0] != "migrations/001_initial.sql" {
		t.Fatalf("new schema: %v %v", all, err)
	}
	if none, err := db.Migrate(ctx); err != nil || len(none) != 0 {
		t.Fatalf("migrated: %v %v", none, err)
	}
}

// TestMigrateConcurrently starts several instances on one empty schema at
// once: the advisory lock lets each migration run exactly once, and only
// the instance that ran them says so.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	u := testSchemaURL(t)
	var wg sync.WaitGroup
	type result struct {
		applied []string
		err     error
	}
	results := make(chan result, 4)
	for range 4 {
		db, err := Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		wg.Go(func() {
			applied, err := db.Migrate(ctx)
			results <- result{applied, err}
		})
	}
	wg.Wait()
	close(results)
	var reported [][]string
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.applied) > 0 {
			reported = append(reported, r.applied)
		}
	}
	if len(reported) != 1 || len(reported[0]) < 2 {
		t.Errorf("instances that reported migrations: %v, want exactly one, with all of them", reported)
	}
}

// TestSecretsAreNotStored searches every column of the key's row as text.
func TestSecretsAreNotStored(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	_, _, secret, err := NewAccountService(db).CreateAccount(ctx, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM api_keys k WHERE strpos(k::text, $1) > 0`,
		secret[len(docsapi.SecretPrefix):]).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows hold the secret, %v", n, err)
	}
}

// TestTimesAreUTC: timestamptz comes back in UTC whatever the zone of the
// process, as from the SQLite engine.
func TestTimesAreUTC(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	acct, _, _, err := NewAccountService(db).CreateAccount(ctx, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewAccountService(db).FindAccountByID(ctx, acct.ID)
	if err != nil || got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(acct.CreatedAt) {
		t.Fatalf("created_at %v (%v), want %v", got.CreatedAt, err, acct.CreatedAt)
	}
}

// TestStatementTimeout: a session gets defaultStatementTimeout unless the
// URL or the role has its own, and a statement that outlasts it fails.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	base := testSchemaURL(t)
	// role has a timeout of its own (7s); off has statement_timeout 0.
	role := "docsapi_test_" + strings.ToLower(docsapi.RandomBase62(12))
	testenv.PostgresExec(t, `CREATE ROLE `+role+` LOGIN`)
	t.Cleanup(func() { testenv.PostgresExec(t, `DROP ROLE `+role) })
	testenv.PostgresExec(t, `ALTER ROLE `+role+` SET statement_timeout = '7s'`)
	off := role + "_off"
	testenv.PostgresExec(t, `CREATE ROLE `+off+` LOGIN`)
	t.Cleanup(func() { testenv.PostgresExec(t, `DROP ROLE `+off) })
	testenv.PostgresExec(t, `ALTER ROLE `+off+` SET statement_timeout = 0`)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("DOCSAPI_TEST_POSTGRES_URL is not a postgres:// URL: %q", base)
	}
	q := u.Query()
	q.Set("statement_timeout", "300")
	u.RawQuery = q.Encode()
	withTimeout := u.String()
	as := func(role string) string {
		u, _ := url.Parse(base)
		u.User = url.User(role)
		return u.String()
	}

	tests := []struct {
		name, url, want string
	}{
		{"the default", base, defaultStatementTimeout},
		{"the URL's", withTimeout, "300ms"},
		{"the URL's 0", strings.Replace(withTimeout, "statement_timeout=300", "statement_timeout=0", 1), "0"},
		{"the role's", as(role), "7s"},
		{"the role's 0", as(off), "0"},
		{"an application_name that names it", base + "&application_name=statement_timeout_probe", defaultStatementTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(ctx, tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var got string
			if err := db.pool.QueryRow(ctx, `SHOW statement_timeout`).Scan(&got); err != nil || got != tt.want {
				t.Fatalf("statement_timeout %q (%v), want %q", got, err, tt.want)
			}
		})
	}

	db, err := Open(ctx, withTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.pool.Exec(ctx, `SELECT pg_sleep(5)`)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != queryCanceled {
		t.Fatalf("a statement over the timeout: %v, want query_canceled (57014)", err)
	}
}

// TestMigrateIsNotBoundByTheStatementTimeout: a migration may rewrite a
// large table, and an instance waits for another's migrations.
func TestMigrateIsNotBoundByTheStatementTimeout(t *testing.T) {
	u, err := url.Parse(testSchemaURL(t))
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skip("DOCSAPI_TEST_POSTGRES_URL is not a postgres:// URL")
	}
	q := u.Query()
	q.Set("statement_timeout", "1")
	u.RawQuery = q.Encode()
	db := openURL(t, u.String())
	var got string
	if err := db.pool.QueryRow(context.Background(), `SHOW statement_timeout`).Scan(&got); err != nil || got != "1ms" {
		t.Fatalf("statement_timeout after the migrations %q (%v), want the session's 1ms again", got, err)
	}
}

// TestPurgesInBatches: a backlog is purged in statements of at most
// purgeBatch rows, each well within the statement timeout, until none is
// left; a purge whose context ends stops between two of them.
func TestPurgesInBatches(t *testing.T) {
	defer func(n int) { purgeBatch = n }(purgeBatch)
	purgeBatch = 4
	const rows = 10
	tests := []struct {
		name, fill, table string
		purge             func(*DB) func(context.Context, time.Time) (int64, error)
	}{
		{"idempotency records", `INSERT INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, created_at)
			SELECT 'acct_x', 'k' || i, 'f', 'req_' || i, 't', now(), now() - interval '2 days' FROM generate_series(1, $1) i`,
			"idempotency_keys", func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewIdempotencyService(db).PurgeIdempotencyRecords
			}},
		{"request-log entries", `INSERT INTO request_logs (id, account_id, method, path, status, api_key_id, idempotent_replayed, duration_us, created_at)
			SELECT 'req_' || i, (SELECT id FROM accounts LIMIT 1), 'GET', '/v1/resources', 200, 'key_x', false, 1, now() - interval '2 days'
			FROM generate_series(1, $1) i`,
			"request_logs", func(db *DB) func(context.Context, time.Time) (int64, error) {
				return NewServices(db).RequestLogs.PurgeRequestLogs
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			if _, _, _, err := NewAccountService(db).CreateAccount(ctx, "a", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := db.pool.Exec(ctx, tt.fill, rows); err != nil {
				t.Fatal(err)
			}
			count := func() (n int) {
				t.Helper()
				if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+tt.table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			if n, err := tt.purge(db)(canceled, time.Now().Add(-time.Hour)); n != 0 || !errors.Is(err, context.Canceled) || count() != rows {
				t.Fatalf("canceled purge: %d, %v, %d rows left", n, err, count())
			}
			if n, err := tt.purge(db)(ctx, time.Now().Add(-time.Hour)); n != rows || err != nil || count() != 0 {
				t.Fatalf("purged %d, %v, %d rows left; want %d purged, none left", n, err, count(), rows)
			}
		})
	}
}

// blackHole is a TCP proxy to PostgreSQL that can stop passing bytes while
// keeping its connections open: a server whose disk stalled, or a network
// that drops everything without a reset.
type blackHole struct {
	ln     net.Listener
	frozen atomic.Bool
	mu     sync.Mutex
	closed bool
	open   []net.Conn
	wg     sync.WaitGroup
}

func newBlackHole(t *testing.T, target string) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln}
	t.Cleanup(func() { b.cut(); b.wg.Wait() })
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			b.mu.Lock()
			if b.closed {
				b.mu.Unlock()
				c.Close()
				up.Close()
				continue
			}
			b.open = append(b.open, c, up)
			b.wg.Add(2)
			b.mu.Unlock()
			go b.pipe(up, c)
			go b.pipe(c, up)
		}
	}()
	return b
}

// pipe copies src to dst, or drops what it reads while frozen.
func (b *blackHole) pipe(dst, src net.Conn) {
	defer b.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			src.Close()
			return
		}
		if b.frozen.Load() {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// cut closes the listener and every connection, as a server that died
// would.
func (b *blackHole) cut() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.ln.Close()
	for _, c := range b.open {
		c.Close()
	}
}

// TestCallsAreBoundedWhenTheServerStopsAnswering: with the server (or the
// network) silent, a statement, a query, a batch, a transaction's statement
// and a wait for a new connection each fail after callTimeout instead of
// waiting for ever; migrations are not bounded by it.
func TestCallsAreBoundedWhenTheServerStopsAnswering(t *testing.T) {
	defer func(d time.Duration) { callTimeout = d }(callTimeout)
	callTimeout = 300 * time.Millisecond
	u, err := url.Parse(testSchemaURL(t))
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skip("DOCSAPI_TEST_POSTGRES_URL is not a postgres:// URL")
	}
	hole := newBlackHole(t, u.Host)
	u.Host = hole.ln.Addr().String()
	db := openURL(t, u.String())
	ctx := context.Background()
	if _, _, _, err := NewAccountService(db).CreateAccount(ctx, "a", ""); err != nil {
		t.Fatal(err)
	}
	// Open connections for every case, so that each meets the silence in
	// its own call rather than in the wait for a new connection.
	var held []*pgxpool.Conn
	for range 5 {
		c, err := db.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Release()
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Gives the connection back, which closing the pool waits for.
	defer tx.Rollback(ctx)

	hole.frozen.Store(true)
	// Closing the pool on a silent server took 15 s more in this test.
	defer hole.cut()
	calls := []struct {
		name string
		call func() error
	}{
		{"a statement", func() error { _, err := db.pool.Exec(ctx, `SELECT 1`); return err }},
		{"a query", func() error { _, err := NewAccountService(db).ListAccounts(ctx); return err }},
		{"a batch", func() error {
			var b pgx.Batch
			b.Queue(`SELECT 1`)
			return db.pool.SendBatch(ctx, &b).Close()
		}},
		{"a transaction's statement", func() error { _, err := tx.Exec(ctx, `SELECT 1`); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			err := c.call()
			if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took < callTimeout || took > 5*time.Second {
				t.Fatalf("%s with the server silent: %v after %v, want a deadline after about %v", c.name, err, took, callTimeout)
			}
		})
	}
	t.Run("a wait for a new connection", func(t *testing.T) {
		// Every connection has failed: the pool must make a new one, whose
		// handshake goes unanswered.
		start := time.Now()
		_, err := db.pool.Exec(ctx, `SELECT 1`)
		if took := time.Since(start); err == nil || took > 5*time.Second {
			t.Fatalf("with the server silent: %v after %v, want a failure after about %v", err, took, callTimeout)
		}
	})
}

// TestMigrateIsNotBoundByCallTimeout: a migration may take longer than a
// request's statements.
func TestMigrateIsNotBoundByCallTimeout(t *testing.T) {
	defer func(d time.Duration) { callTimeout = d }(callTimeout)
	db, err := Open(context.Background(), testSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	callTimeout = time.Nanosecond
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate under a 1 ns call timeout: %v", err)
	}
	if _, err := db.pool.Exec(context.Background(), `SELECT 1`); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a statement under a 1 ns call timeout: %v, want context.DeadlineExceeded", err)
	}
}
