package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

// TestRequestLogFilterPlans: each filter of the Logs page reads an index
// range, never the whole table. The failures' index is partial, and SQLite
// takes it only when the query repeats its condition.
func TestRequestLogFilterPlans(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	tests := []struct {
		name  string
		f     docsapi.RequestLogFilter
		index string
	}{
		{"all", docsapi.RequestLogFilter{}, "request_logs_account_seq"},
		{"4xx", docsapi.RequestLogFilter{StatusClass: 4}, "request_logs_account_failures"},
		{"5xx", docsapi.RequestLogFilter{StatusClass: 5}, "request_logs_account_failures"},
		{"404", docsapi.RequestLogFilter{Status: 404}, "request_logs_account_failures"},
		{"2xx", docsapi.RequestLogFilter{StatusClass: 2}, "request_logs_account_seq"},
		{"error code", docsapi.RequestLogFilter{ErrorCode: docsapi.ENOTFOUND}, "request_logs_account_code"},
		{"key", docsapi.RequestLogFilter{APIKeyID: "key_x"}, "request_logs_account_key"},
		{"path", docsapi.RequestLogFilter{Path: "/v1/resources"}, "request_logs_account_path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args := filterWhere(int64(1), int64(2), tt.f)
			plan := queryPlan(t, db, `SELECT `+requestLogColumns+
				` FROM request_logs WHERE `+where+requestLogOrderBy[docsapi.RequestLogOrder{}]+` LIMIT 11`, args...)
			if !strings.Contains(plan, "INDEX "+tt.index+" ") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan %q, want a range of %s in order", plan, tt.index)
			}
		})
	}
}

// TestErrorGroupExamplesPlan: on a file without statistics, as the server
// keeps it, an error group's examples are read from its own range of
// request_logs_account_error_route, newest first, not sorted out of every
// failure of the window.
func TestErrorGroupExamplesPlan(t *testing.T) {
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	plan := queryPlan(t, db, errorGroupExamples, 1, "resource_missing", "GET /v1/resources/{id}", 0, 3)
	if !strings.Contains(plan, "INDEX request_logs_account_error_route (account=? AND error_code=? AND route=?)") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("plan %q", plan)
	}
}

// queryPlan returns SQLite's plan for query, its steps joined by "; ".
func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.read.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// TestRequestLogMigrationKeepsEntries: the migration to numbered accounts
// and keys keeps every entry as it was, with its seq, and seq goes on past
// the last one, even one already purged.
func TestRequestLogMigrationKeepsEntries(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "docsapi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	before := func(name string) bool { return name < "migrations/006" }
	if _, err := db.writer(ctx).ExecContext(ctx, `CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if before(name) {
			if err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { _, err := migrate(ctx, tx, name); return err }); err != nil {
				t.Fatal(err)
			}
		}
	}
	created := docsapi.Now().Add(-time.Minute)
	insert := func(seq int, id, account, key string, status int, code any) {
		t.Helper()
		if _, err := db.writer(ctx).ExecContext(ctx, `INSERT INTO request_logs (seq, id, account_id, method, path, route, status, error_code,
			api_key_id, idempotent_replayed, duration_us, source, created_at) VALUES (?, ?, ?, 'GET', '/v1/resources', 'GET /v1/resources', ?, ?, ?, 0, 7, 'api', ?)`,
			seq, id, account, status, code, key, micros(created)); err != nil {
			t.Fatal(err)
		}
	}
	insert(1, "req_a1", "acct_a", "key_a1", 200, nil)
	insert(2, "req_b1", "acct_b", "key_b1", 404, docsapi.ENOTFOUND)
	insert(3, "req_a2", "acct_a", "key_a2", 499, nil)
	insert(4, "req_purged", "acct_b", "key_b1", 200, nil)
	if _, err := db.writer(ctx).ExecContext(ctx, `DELETE FROM request_logs WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	logs := NewRequestLogService(db)
	page, _, err := logs.FindRequestLogs(ctx, "acct_a", docsapi.RequestLogFilter{}, docsapi.ListParams{Limit: 10})
	if err != nil || len(page) != 2 || page[0].ID != "req_a2" || page[0].APIKeyID != "key_a2" || page[0].AccountID != "acct_a" ||
		page[1].ID != "req_a1" || page[1].APIKeyID != "key_a1" || !page[1].CreatedAt.Equal(created) {
		t.Fatalf("acct_a after the migration: %+v %v", page, err)
	}
	page, _, err = logs.FindRequestLogs(ctx, "acct_a", docsapi.RequestLogFilter{StatusClass: 4}, docsapi.ListParams{Limit: 10})
	if err != nil || len(page) != 1 || page[0].ID != "req_a2" {
		t.Fatalf("acct_a's 4xx: %+v %v", page, err)
	}
	b, err := logs.FindRequestLogByID(ctx, "acct_b", "req_b1")
	if err != nil || b.ErrorCode != docsapi.ENOTFOUND || b.APIKeyID != "key_b1" {
		t.Fatalf("acct_b's entry: %+v %v", b, err)
	}
	if err := logs.CreateRequestLogs(ctx, []*docsapi.RequestLog{{ID: "req_new", AccountID: "acct_b", Method: "GET", Path: "/",
		Route: "GET /", Status: 200, APIKeyID: "key_b2", Source: docsapi.SourceAPI, CreatedAt: docsapi.Now()}}); err != nil {
		t.Fatal(err)
	}
	var seq int
	if err := db.read.QueryRowContext(ctx, `SELECT seq FROM request_logs WHERE id = 'req_new'`).Scan(&seq); err != nil || seq != 5 {
		t.Fatalf("the next entry's seq is %d (%v), want 5: past the purged one", seq, err)
	}
}

// TestRequestLogNamesInsideAJob: entries written inside a committer job
// while another writer names an account of its own, and waits for that
// job, both go through: naming holds no lock across the committer.
func TestRequestLogNamesInsideAJob(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	logs := NewRequestLogService(db)
	other := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
			go func() { other <- logs.CreateRequestLogs(context.Background(), logEntry("req_other", "acct_other")) }()
			// The other writer names acct_other, then waits on the
			// committer, which runs this job.
			time.Sleep(50 * time.Millisecond)
			return logs.CreateRequestLogs(ctx, logEntry("req_job", "acct_job"))
		})
	}()
	for _, ch := range []chan error{done, other} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("deadlock: the writers are still waiting after 10 s")
		}
	}
	for account, want := range map[string]string{"acct_job": "req_job", "acct_other": "req_other"} {
		page, _, err := logs.FindRequestLogs(ctx, account, docsapi.RequestLogFilter{}, docsapi.ListParams{Limit: 10})
		if err != nil || len(page) != 1 || page[0].ID != want {
			t.Errorf("%s's log: %+v %v, want only %s", account, page, err, want)
		}
	}
}

// TestRequestLogNamesRolledBack: an account's number given inside a
// transaction that rolls back is not remembered, so that it cannot be
// given to another account and mix their logs.
func TestRequestLogNamesRolledBack(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t, filepath.Join(t.TempDir(), "docsapi.db"))
	logs := NewRequestLogService(db)
	rollback := errors.New("rolled back")
	err := db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		if err := logs.CreateRequestLogs(ctx, logEntry("req_lost", "acct_a")); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	for _, e := range [][]*docsapi.RequestLog{logEntry("req_b", "acct_b"), logEntry("req_a", "acct_a")} {
		if err := logs.CreateRequestLogs(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for account, want := range map[string]string{"acct_a": "req_a", "acct_b": "req_b"} {
		page, _, err := logs.FindRequestLogs(ctx, account, docsapi.RequestLogFilter{}, docsapi.ListParams{Limit: 10})
		if err != nil || len(page) != 1 || page[0].ID != want || page[0].AccountID != account || page[0].APIKeyID != "key_"+account {
			t.Errorf("%s's log: %+v %v, want only %s", account, page, err, want)
		}
	}
}

// logEntry returns a batch of one entry of account, by the key "key_"+account.
func logEntry(id, account string) []*docsapi.RequestLog {
	return []*docsapi.RequestLog{{ID: id, AccountID: account, Method: "GET", Path: "/", Route: "GET /", Status: 200,
		APIKeyID: "key_" + account, Source: docsapi.SourceAPI, CreatedAt: docsapi.Now()}}
}
