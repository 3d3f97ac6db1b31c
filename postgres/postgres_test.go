package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/internal/testenv"
	"github.com/docsapi/docsapi/storetest"
	"github.com/jackc/pgx/v5/pgconn"
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
	role := "docsapi_test_" + strings.ToLower(docsapi.RandomBase62(12))
	testenv.PostgresExec(t, `CREATE ROLE `+role+` LOGIN`)
	t.Cleanup(func() { testenv.PostgresExec(t, `DROP ROLE `+role) })
	testenv.PostgresExec(t, `ALTER ROLE `+role+` SET statement_timeout = '7s'`)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("DOCSAPI_TEST_POSTGRES_URL is not a postgres:// URL: %q", base)
	}
	q := u.Query()
	q.Set("statement_timeout", "300")
	u.RawQuery = q.Encode()
	withTimeout := u.String()
	u, _ = url.Parse(base)
	u.User = url.User(role)
	asRole := u.String()

	tests := []struct {
		name, url, want string
	}{
		{"the default", base, defaultStatementTimeout},
		{"the URL's", withTimeout, "300ms"},
		{"the role's", asRole, "7s"},
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
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "57014" {
		t.Fatalf("a statement over the timeout: %v, want query_canceled (57014)", err)
	}
}
