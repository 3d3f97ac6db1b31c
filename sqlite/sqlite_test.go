package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/sqlite"
	"github.com/docsapi/docsapi/storetest"
)

func open(t testing.TB) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "docsapi.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) docsapi.Services {
		db, _ := open(t)
		return sqlite.NewServices(db)
	})
}

func TestMigrateTwice(t *testing.T) {
	db, _ := open(t)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateReportsWhatItApplied: every migration on a new file, none
// once migrated.
func TestMigrateReportsWhatItApplied(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "docsapi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	all, err := db.Migrate(ctx)
	if err != nil || len(all) < 2 || all[0] != "migrations/001_initial.sql" {
		t.Fatalf("new file: %v %v", all, err)
	}
	if none, err := db.Migrate(ctx); err != nil || len(none) != 0 {
		t.Fatalf("migrated: %v %v", none, err)
	}
}

// TestSecretsAreNotStored reads the database file itself.
func TestSecretsAreNotStored(t *testing.T) {
	db, path := open(t)
	_, _, secret, err := sqlite.NewAccountService(db).CreateAccount(context.Background(), "a", "")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, f := range []string{path, path + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), secret[len(docsapi.SecretPrefix):]) {
			t.Fatalf("%s holds the secret", f)
		}
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"./docsapi.db", "./docsapi.db"},
		{"/var/lib/docsapi.db", "/var/lib/docsapi.db"},
		{"sqlite:./docsapi.db", "./docsapi.db"},
		{"sqlite:///var/lib/docsapi.db", "/var/lib/docsapi.db"},
		{"sqlite:/var/lib/docsapi.db", "/var/lib/docsapi.db"},
	}
	for _, tt := range tests {
		if got, err := sqlite.ParsePath(tt.in); err != nil || got != tt.want {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := sqlite.ParsePath("sqlite:"); err == nil {
		t.Error("empty sqlite url accepted")
	}
}

// TestOpenOddPaths: characters that mean something in a URI are file name
// characters here.
func TestOpenOddPaths(t *testing.T) {
	for _, name := range []string{"p#q.db", "pct%41.db", "what?.db", "sp ace.db"} {
		path := filepath.Join(t.TempDir(), name)
		db, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
