// Package testenv gives tests their PostgreSQL schema and Redis URL: from
// DOCSAPI_TEST_POSTGRES_URL and DOCSAPI_TEST_REDIS_URL, skipping with a clear
// message on a laptop without them and failing in CI (CI=true).
package testenv

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

func need(t testing.TB, name, example string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		msg := name + " is not set; set it to run this test, e.g. " + name + "=" + example
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}

func postgresBaseURL(t testing.TB) string {
	t.Helper()
	return need(t, "DOCSAPI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// PostgresExec runs sql on DOCSAPI_TEST_POSTGRES_URL itself, for what
// belongs to no schema (a schema, a role).
func PostgresExec(t testing.TB, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, postgresBaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

// PostgresURL creates an empty schema for t, dropped when t ends, and
// returns DOCSAPI_TEST_POSTGRES_URL with its search_path set to it.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := postgresBaseURL(t)
	schema := "docsapi_test_" + strings.ToLower(docsapi.RandomBase62(16))
	PostgresExec(t, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { PostgresExec(t, `DROP SCHEMA `+schema+` CASCADE`) })
	// pgx sends parameters it does not know, search_path here, to the server.
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}

// RedisURL returns DOCSAPI_TEST_REDIS_URL.
func RedisURL(t testing.TB) string {
	t.Helper()
	return need(t, "DOCSAPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
}

// SyncBuffer is a bytes.Buffer that a server's goroutines may write to
// while a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
