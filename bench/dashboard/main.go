// Command dashboard fills a throwaway store with a synthetic request log and
// times the Dashboard's queries on it, through the same services the server
// uses. It is kept out of `make test`: a 10-million-row run takes minutes.
//
//	go run ./bench/dashboard -db /tmp/dash/10m.db -rows 10000000
//	go run ./bench/dashboard -db 'postgres://postgres@127.0.0.1:5432/dashbench?sslmode=disable' -rows 10000000
//
// The log spans the 30 days before the fill, one entry every 30d/rows: 9 of
// every 10 entries belong to the measured account, the rest to another one.
// About 9 % are failures (3 % 400, 3 % 404, 2 % 429, 1 % 500) spread over
// four routes and ten keys. The fill is one INSERT … SELECT over a
// generated series (a recursive CTE on SQLite, generate_series on
// PostgreSQL) with the log's secondary indexes dropped and rebuilt after.
// A store already holding the rows is reused.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/postgres"
	"github.com/docsapi/docsapi/sqlite"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"
)

const (
	account = "acct_bench0000000000000000000"
	other   = "acct_other0000000000000000000"
	span    = 30 * 24 * time.Hour
)

// The columns filled, and per engine the SELECT producing them from n, the
// row number; h is a scrambled n that picks the outcome. SQLite keeps the
// account and key as numbers (its migration 006).
const (
	columns = `id, account_id, method, path, route, status, error_code, error_message, error_param, api_key_id,
	idempotency_key, idempotent_replayed, duration_us, ip, user_agent, source, created_at`
	sqliteColumns = `id, account, method, path, route, status, error_code, error_message, error_param, api_key,
	idempotency_key, idempotent_replayed, duration_us, ip, user_agent, source, created_at`
	sqliteNames = `INSERT OR IGNORE INTO request_log_accounts (id) VALUES ('` + account + `'), ('` + other + `');
	INSERT OR IGNORE INTO request_log_keys (id) SELECT 'key_bench' || column1 FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9))`
)

// outcome maps h (0..999) to status, code, message and param. op (0..9)
// picks the route: 0-5 GET one, 6-7 list, 8 create, 9 delete.
const sqliteSelect = `
SELECT printf('req_%020d', n),
	(SELECT n FROM request_log_accounts WHERE id = CASE WHEN g.n % 10 = 9 THEN '` + other + `' ELSE '` + account + `' END),
	CASE WHEN op < 8 THEN 'GET' WHEN op = 8 THEN 'POST' ELSE 'DELETE' END,
	CASE WHEN op < 6 OR op = 9 THEN '/v1/resources/res_' || (n % 5000) ELSE '/v1/resources' END,
	CASE WHEN op < 6 THEN 'GET /v1/resources/{id}' WHEN op < 8 THEN 'GET /v1/resources'
	     WHEN op = 8 THEN 'POST /v1/resources' ELSE 'DELETE /v1/resources/{id}' END,
	CASE WHEN h < 20 THEN 429 WHEN h < 30 THEN 500 WHEN h < 60 THEN 400 WHEN h < 90 THEN 404 WHEN op = 8 THEN 201 ELSE 200 END,
	CASE WHEN h < 20 THEN 'rate_limit_exceeded' WHEN h < 30 THEN 'api_error' WHEN h < 60 THEN 'parameter_missing' WHEN h < 90 THEN 'resource_missing' END,
	CASE WHEN h < 90 THEN 'A message.' END,
	CASE WHEN h >= 30 AND h < 90 THEN 'id' END,
	(SELECT n FROM request_log_keys WHERE id = 'key_bench' || (g.n % 10)), NULL, 0, 500 + (n * 7919) % 50000, '10.0.0.' || (n % 250), 'bench/1.0', 'api',
	@start + n * @step
FROM (SELECT n, (n * 2654435761) % 1000 AS h, (n / 3) % 10 AS op FROM g) g`

const postgresSelect = `
SELECT 'req_' || lpad(n::text, 20, '0'), CASE WHEN n % 10 = 9 THEN '` + other + `' ELSE '` + account + `' END,
	CASE WHEN op < 8 THEN 'GET' WHEN op = 8 THEN 'POST' ELSE 'DELETE' END,
	CASE WHEN op < 6 OR op = 9 THEN '/v1/resources/res_' || (n % 5000) ELSE '/v1/resources' END,
	CASE WHEN op < 6 THEN 'GET /v1/resources/{id}' WHEN op < 8 THEN 'GET /v1/resources'
	     WHEN op = 8 THEN 'POST /v1/resources' ELSE 'DELETE /v1/resources/{id}' END,
	CASE WHEN h < 20 THEN 429 WHEN h < 30 THEN 500 WHEN h < 60 THEN 400 WHEN h < 90 THEN 404 WHEN op = 8 THEN 201 ELSE 200 END,
	CASE WHEN h < 20 THEN 'rate_limit_exceeded' WHEN h < 30 THEN 'api_error' WHEN h < 60 THEN 'parameter_missing' WHEN h < 90 THEN 'resource_missing' END,
	CASE WHEN h < 90 THEN 'A message.' END,
	CASE WHEN h >= 30 AND h < 90 THEN 'id' END,
	'key_bench' || (n % 10), NULL, false, 500 + (n * 7919) % 50000, '10.0.0.' || (n % 250), 'bench/1.0', 'api',
	to_timestamp(@start::bigint / 1e6) + make_interval(secs => n * @step::bigint / 1e6)
FROM (SELECT n, (n * 2654435761) % 1000 AS h, (n / 3) % 10 AS op FROM generate_series(0::bigint, @rows::bigint - 1) AS n) g`

func main() {
	dsn := flag.String("db", "", "SQLite file path, or postgres:// URL of a throwaway database")
	rows := flag.Int("rows", 10_000_000, "request-log rows to fill")
	runs := flag.Int("runs", 5, "timed runs of each query after the first")
	flag.Parse()
	if *dsn == "" {
		log.Fatal("-db is required")
	}
	ctx := context.Background()
	var svc docsapi.RequestLogService
	var fill func(ctx context.Context, rows int) error
	var count func(ctx context.Context) (int, error)
	if strings.HasPrefix(*dsn, "postgres") {
		db, err := postgres.Open(ctx, *dsn)
		must(err)
		_, err = db.Migrate(ctx)
		must(err)
		pool, err := pgxpool.New(ctx, *dsn)
		must(err)
		svc = postgres.NewRequestLogService(db)
		fill = func(ctx context.Context, rows int) error { return fillPostgres(ctx, pool, rows) }
		count = func(ctx context.Context) (n int, err error) {
			return n, pool.QueryRow(ctx, `SELECT count(*) FROM request_logs`).Scan(&n)
		}
	} else {
		db, err := sqlite.Open(*dsn)
		must(err)
		_, err = db.Migrate(ctx)
		must(err)
		raw, err := sql.Open("sqlite", "file:"+*dsn+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		must(err)
		raw.SetMaxOpenConns(1)
		svc = sqlite.NewRequestLogService(db)
		fill = func(ctx context.Context, rows int) error { return fillSQLite(ctx, raw, rows) }
		count = func(ctx context.Context) (n int, err error) {
			return n, raw.QueryRowContext(ctx, `SELECT count(*) FROM request_logs`).Scan(&n)
		}
	}
	n, err := count(ctx)
	must(err)
	if n < *rows {
		start := time.Now()
		must(fill(ctx, *rows-n))
		fmt.Printf("filled %d rows in %s\n", *rows-n, time.Since(start).Round(time.Second))
	} else {
		fmt.Printf("reusing %d rows\n", n)
	}
	measure(ctx, svc, *runs)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// fillSQLite drops the log's secondary indexes, inserts, and rebuilds them:
// one sort per index instead of ten million random B-tree inserts.
func fillSQLite(ctx context.Context, db *sql.DB, rows int) error {
	idx, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'request_logs' AND sql IS NOT NULL`)
	if err != nil {
		return err
	}
	var names, defs []string
	for idx.Next() {
		var name, def string
		if err := idx.Scan(&name, &def); err != nil {
			return err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := idx.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := db.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA synchronous = OFF`); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, sqliteNames); err != nil {
		return err
	}
	start, step := fillRange(rows)
	q := strings.NewReplacer("@start", fmt.Sprint(start), "@step", fmt.Sprint(step)).Replace(sqliteSelect)
	if _, err := db.ExecContext(ctx, `INSERT INTO request_logs (`+sqliteColumns+`)
		WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < ?) `+q, rows-1); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	for _, def := range defs {
		if _, err := db.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("%s: %w", def, err)
		}
	}
	// No ANALYZE: the server never runs it, so its planner works without
	// statistics, and so does this bench's.
	return nil
}

func fillPostgres(ctx context.Context, pool *pgxpool.Pool, rows int) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var names, defs []string
	r, err := conn.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = 'request_logs'
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		return err
	}
	for r.Next() {
		var name, def string
		if err := r.Scan(&name, &def); err != nil {
			return err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := r.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := conn.Exec(ctx, `DROP INDEX `+name); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `SET synchronous_commit = off; SET maintenance_work_mem = '512MB'`); err != nil {
		return err
	}
	start, step := fillRange(rows)
	q := strings.NewReplacer("@start", fmt.Sprint(start), "@step", fmt.Sprint(step), "@rows", fmt.Sprint(rows)).Replace(postgresSelect)
	if _, err := conn.Exec(ctx, `INSERT INTO request_logs (`+columns+`) `+q); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	for _, def := range defs {
		if _, err := conn.Exec(ctx, def); err != nil {
			return fmt.Errorf("%s: %w", def, err)
		}
	}
	_, err = conn.Exec(ctx, `VACUUM ANALYZE request_logs`)
	return err
}

// fillRange returns the first created_at (Unix µs) and the step between
// entries, so that rows entries end now.
func fillRange(rows int) (start, step int64) {
	step = max(span.Microseconds()/int64(rows), 1)
	return docsapi.Now().UnixMicro() - step*int64(rows), step
}

// measure times each query: its first run, then the median of runs more.
func measure(ctx context.Context, svc docsapi.RequestLogService, runs int) {
	newest, _, err := svc.FindRequestLogs(ctx, account, docsapi.RequestLogFilter{}, docsapi.ListParams{Limit: 1000})
	must(err)
	if len(newest) == 0 {
		log.Fatal("no entries")
	}
	now := newest[0].CreatedAt.Add(time.Second)
	middle, _, err := svc.FindRequestLogs(ctx, account, docsapi.RequestLogFilter{Until: now.Add(-15 * 24 * time.Hour)}, docsapi.ListParams{Limit: 1})
	must(err)
	page := docsapi.ListParams{Limit: 50}
	list := func(f docsapi.RequestLogFilter, p docsapi.ListParams) func() (int, error) {
		return func() (int, error) {
			items, _, err := svc.FindRequestLogs(ctx, account, f, p)
			return len(items), err
		}
	}
	queries := []struct {
		name string
		fn   func() (int, error)
	}{
		{"timeline, last hour per minute", func() (int, error) {
			b, err := svc.RequestLogTimeline(ctx, account, now.Add(-time.Hour), now, time.Minute)
			return total(b), err
		}},
		{"timeline, last 24 h per hour", func() (int, error) {
			b, err := svc.RequestLogTimeline(ctx, account, now.Add(-24*time.Hour), now, time.Hour)
			return total(b), err
		}},
		{"error groups, last 24 h", func() (int, error) {
			g, err := svc.FindErrorGroups(ctx, account, now.Add(-24*time.Hour), 50)
			return len(g), err
		}},
		{"error groups, last 7 days", func() (int, error) {
			g, err := svc.FindErrorGroups(ctx, account, now.Add(-7*24*time.Hour), 50)
			return len(g), err
		}},
		{"key usage, last hour", func() (int, error) {
			u, err := svc.FindKeyUsage(ctx, account, now.Add(-time.Hour))
			return len(u), err
		}},
		{"logs, first page (50)", list(docsapi.RequestLogFilter{}, page)},
		{"logs, page after an entry 15 days back", list(docsapi.RequestLogFilter{}, docsapi.ListParams{Limit: 50, StartingAfter: middle[0].ID})},
		{"logs, status=5xx", list(docsapi.RequestLogFilter{StatusClass: 5}, page)},
		{"logs, error code resource_missing", list(docsapi.RequestLogFilter{ErrorCode: docsapi.ENOTFOUND}, page)},
		{"logs, method DELETE", list(docsapi.RequestLogFilter{Method: "DELETE"}, page)},
		{"logs, exact path", list(docsapi.RequestLogFilter{Path: "/v1/resources/res_1234"}, page)},
		{"logs, API key", list(docsapi.RequestLogFilter{APIKeyID: "key_bench3"}, page)},
		{"logs, 4xx of one key in the last 24 h", list(docsapi.RequestLogFilter{StatusClass: 4, APIKeyID: "key_bench3", Since: now.Add(-24 * time.Hour)}, page)},
		{"logs, the hour a day ago", list(docsapi.RequestLogFilter{Since: now.Add(-25 * time.Hour), Until: now.Add(-24 * time.Hour)}, page)},
		{"logs, the day 15 days ago", list(docsapi.RequestLogFilter{Since: now.Add(-16 * 24 * time.Hour), Until: now.Add(-15 * 24 * time.Hour)}, page)},
		{"logs, until 15 days ago", list(docsapi.RequestLogFilter{Until: now.Add(-15 * 24 * time.Hour)}, page)},
		{"tail, after the 1000th newest", func() (int, error) {
			l, err := svc.TailRequestLogs(ctx, account, docsapi.RequestLogFilter{}, newest[len(newest)-1].ID, 100)
			return len(l), err
		}},
	}
	fmt.Printf("%-42s %8s %10s %10s\n", "query", "rows", "first", "median")
	for _, q := range queries {
		t0 := time.Now()
		n, err := q.fn()
		must(err)
		first := time.Since(t0)
		var times []time.Duration
		for range runs {
			t0 := time.Now()
			_, err := q.fn()
			must(err)
			times = append(times, time.Since(t0))
		}
		slices.Sort(times)
		fmt.Printf("%-42s %8d %10s %10s\n", q.name, n, ms(first), ms(times[len(times)/2]))
	}
}

func total(bs []docsapi.RequestLogBucket) int {
	n := 0
	for _, b := range bs {
		n += b.Total()
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func init() { log.SetOutput(os.Stderr) }
