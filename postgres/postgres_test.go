package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/internal/testenv"
	"github.com/docsapi/docsapi/storetest"
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
	if err := db.Migrate(context.Background()); err != nil {
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
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestPending: every migration on a new schema, none once migrated, and
// the one whose record is missing.
func TestPending(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	all, err := db.Pending(ctx)
	if err != nil || len(all) < 2 || all[0] != "migrations/001_initial.sql" {
		t.Fatalf("new schema: %v %v", all, err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if none, err := db.Pending(ctx); err != nil || len(none) != 0 {
		t.Fatalf("migrated: %v %v", none, err)
	}
	last := all[len(all)-1]
	if _, err := db.pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, last); err != nil {
		t.Fatal(err)
	}
	if one, err := db.Pending(ctx); err != nil || len(one) != 1 || one[0] != last {
		t.Fatalf("without %s's record: %v %v", last, one, err)
	}
}

// TestMigrateConcurrently starts several instances on one empty schema at
// once: the advisory lock lets each migration run exactly once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	u := testSchemaURL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		db, err := Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		wg.Go(func() { errs <- db.Migrate(ctx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
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
