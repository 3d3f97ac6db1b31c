package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/internal/netyield"
)

// NewRequestLogService returns a RequestLogService on db.
func NewRequestLogService(db *DB) docsapi.RequestLogService {
	return docsapi.NewRequestLogService(requestLogs{db})
}

// requestLogs is the SQL of the RequestLogService.
type requestLogs struct{ db *DB }

// requestLogColumns are an entry's columns as a query reads them: the
// account and key by their ids, which the table keeps as numbers
// (logNames).
const requestLogColumns = `id, (SELECT id FROM request_log_accounts WHERE n = account), method, path, route, status,
	error_code, error_message, error_param, (SELECT id FROM request_log_keys WHERE n = api_key),
	idempotency_key, idempotent_replayed, duration_us, ip, user_agent, source, created_at`

// scanRequestLog reads a row of requestLogColumns; NULL columns read as "".
func scanRequestLog(s scanner) (*docsapi.RequestLog, error) {
	var l docsapi.RequestLog
	var code, message, param, idemKey, ip, ua sql.NullString
	var durationUS, created int64
	if err := s.Scan(&l.ID, &l.AccountID, &l.Method, &l.Path, &l.Route, &l.Status, &code, &message, &param, &l.APIKeyID,
		&idemKey, &l.IdempotentReplayed, &durationUS, &ip, &ua, &l.Source, &created); err != nil {
		return nil, err
	}
	l.ErrorCode, l.ErrorMessage, l.ErrorParam = code.String, message.String, param.String
	l.IdempotencyKey, l.IP, l.UserAgent = idemKey.String, ip.String, ua.String
	l.Duration = time.Duration(durationUS) * time.Microsecond
	l.CreatedAt = fromMicros(created)
	return &l, nil
}

// maxLogNames bounds logNames' cache: one entry per account or key that
// logged a request since it was last emptied, about 100 bytes each.
const maxLogNames = 10_000

// logNames maps the account and key ids of request-log entries to the
// numbers that request_logs holds instead (migration 006). A number is
// cached only once the transaction that named it has committed, so that
// none stands for a name that was rolled back. The lock is never held
// while the store is asked: a committer job may be waiting for it.
type logNames struct {
	mu    sync.Mutex
	cache map[logName]int64
}

// logName is an id in one of the tables of names.
type logName struct{ table, id string }

const (
	accountNames = "request_log_accounts"
	keyNames     = "request_log_keys"
)

// numbers returns the numbers of the entries' accounts and keys, in the
// order of logs. Names not cached are read; those never named get a
// number in a transaction of their own, before the entries' one.
func (c *logNames) numbers(ctx context.Context, db *DB, logs []*docsapi.RequestLog) (accounts, keys []int64, err error) {
	all := map[logName]int64{}
	fresh := map[logName]int64{}
	c.mu.Lock()
	for _, l := range logs {
		for _, name := range [2]logName{{accountNames, l.AccountID}, {keyNames, l.APIKeyID}} {
			if n, ok := c.cache[name]; ok {
				all[name] = n
			} else {
				fresh[name] = 0
			}
		}
	}
	c.mu.Unlock()
	var unnamed []logName
	for name := range fresh {
		n, ok, err := c.read(ctx, db, name)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			fresh[name] = n
		} else {
			unnamed = append(unnamed, name)
		}
	}
	if len(unnamed) > 0 {
		err := db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
			for _, name := range unnamed {
				// Named meanwhile by another writer: updating the name
				// makes RETURNING return its row.
				var n int64
				if err := db.reader(ctx).QueryRowContext(ctx, `INSERT INTO `+name.table+` (id) VALUES (?)
					ON CONFLICT (id) DO UPDATE SET id = excluded.id RETURNING n`, name.id).Scan(&n); err != nil {
					return fmt.Errorf("name %s: %w", name.id, err)
				}
				fresh[name] = n
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	c.remember(ctx, fresh)
	maps.Copy(all, fresh)
	accounts, keys = make([]int64, len(logs)), make([]int64, len(logs))
	for i, l := range logs {
		accounts[i], keys[i] = all[logName{accountNames, l.AccountID}], all[logName{keyNames, l.APIKeyID}]
	}
	return accounts, keys, nil
}

// number returns the number of an account or key, or nil (which no entry
// has) when none of its requests was logged. Queries take the number, not
// a subquery: with one, SQLite no longer read a time range from the
// created_at index in order, and a page of the Logs took 20 times as long.
func (c *logNames) number(ctx context.Context, db *DB, name logName) (any, error) {
	c.mu.Lock()
	n, ok := c.cache[name]
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	n, ok, err := c.read(ctx, db, name)
	if err != nil || !ok {
		return nil, err
	}
	c.remember(ctx, map[logName]int64{name: n})
	return n, nil
}

// read returns the number of name in the store, and whether it has one.
func (c *logNames) read(ctx context.Context, db *DB, name logName) (int64, bool, error) {
	var n int64
	err := db.reader(ctx).QueryRowContext(ctx, `SELECT n FROM `+name.table+` WHERE id = ?`, name.id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("number of %s: %w", name.id, err)
	}
	return n, true, nil
}

// remember caches numbers that have committed: those read or given inside
// a caller's transaction commit or roll back with it, and are not cached.
// A full cache is emptied first.
func (c *logNames) remember(ctx context.Context, numbers map[logName]int64) {
	if _, nested := ctx.Value(txKey{}).(*sql.Tx); nested || len(numbers) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache == nil || len(c.cache)+len(numbers) > maxLogNames {
		c.cache = make(map[logName]int64, len(numbers))
	}
	maps.Copy(c.cache, numbers)
}

// orNull stores "" as NULL. It returns the value that the driver binds, as
// sql.NullString would only after being boxed and asked for it.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// requestLogInsertRows is how many entries one INSERT carries: the costs of
// a statement (binding, its result, watching the context) are paid once
// for many entries, and 17 parameters an entry stay far below SQLite's
// limit of 32766.
const requestLogInsertRows = 100

// insertRequestLogs returns the INSERT of n entries.
func insertRequestLogs(n int) string {
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	return `INSERT INTO request_logs (id, account, method, path, route, status, error_code, error_message, error_param,
		api_key, idempotency_key, idempotent_replayed, duration_us, ip, user_agent, source, created_at) VALUES ` +
		strings.Repeat(row+`, `, n-1) + row + ` ON CONFLICT (id) DO NOTHING`
}

var insertRequestLogsFull = insertRequestLogs(requestLogInsertRows)

// InsertRequestLogs stores a batch of entries in one transaction, in as few
// statements as requestLogInsertRows allows. SQLite has one writer, so seq
// follows the order in which batches commit, and within one the order of
// the entries.
func (s requestLogs) InsertRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	accounts, keys, err := s.db.logNames.numbers(ctx, s.db, logs)
	if err != nil {
		return fmt.Errorf("insert request logs: %w", err)
	}
	return s.db.inLazyTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		args := make([]any, 0, 17*min(len(logs), requestLogInsertRows))
		for start := 0; start < len(logs); start += requestLogInsertRows {
			chunk := logs[start:min(start+requestLogInsertRows, len(logs))]
			query := insertRequestLogsFull
			if len(chunk) < requestLogInsertRows {
				query = insertRequestLogs(len(chunk))
			}
			args = args[:0]
			for j, l := range chunk {
				// Integers as int64, which the driver takes as they are.
				args = append(args, l.ID, accounts[start+j], l.Method, l.Path, l.Route, int64(l.Status),
					orNull(l.ErrorCode), orNull(l.ErrorMessage), orNull(l.ErrorParam), keys[start+j],
					orNull(l.IdempotencyKey), l.IdempotentReplayed, l.Duration.Microseconds(),
					orNull(l.IP), orNull(l.UserAgent), l.Source, micros(l.CreatedAt))
			}
			// Prepared once per batch size, at most requestLogInsertRows.
			if _, err := s.db.writer(ctx).ExecContext(ctx, query, args...); err != nil {
				return fmt.Errorf("insert request logs: %w", err)
			}
			// A batch of 500 entries is a few ms of CPU in one goroutine.
			// Between statements, the requests that arrived meanwhile go
			// first: on one core, runtime.Gosched let none in, and the
			// GET p99 at half the peak was 5-5.5 ms instead of 3.6
			// (docs/performance.md).
			if start+requestLogInsertRows < len(logs) {
				netyield.Yield()
			}
		}
		return nil
	})
}

func (s requestLogs) FindRequestLog(ctx context.Context, accountID, id string) (*docsapi.RequestLog, error) {
	account, err := s.db.logNames.number(ctx, s.db, logName{accountNames, accountID})
	if err != nil {
		return nil, fmt.Errorf("find request log: %w", err)
	}
	l, err := scanRequestLog(s.db.reader(ctx).QueryRowContext(ctx,
		`SELECT `+requestLogColumns+` FROM request_logs WHERE account = ? AND id = ?`, account, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find request log: %w", err)
	}
	return l, nil
}

// filterWhere returns the condition selecting the account's entries that
// match f, and its arguments; account and key are the numbers of the
// account and of f.APIKeyID (logNames.number). Each field is an equality
// or range on an indexed column, so that each page is an index range scan.
func filterWhere(account, key any, f docsapi.RequestLogFilter) (string, []any) {
	where, args := `account = ?`, []any{account}
	add := func(cond string, arg any) {
		where += ` AND ` + cond
		args = append(args, arg)
	}
	if f.Status > 0 {
		// The status-class index serves it; status is checked on its rows.
		add(`status_class = ?`, f.Status/100)
		add(`status = ?`, f.Status)
	}
	if f.StatusClass > 0 {
		add(`status_class = ?`, f.StatusClass)
	}
	if f.Status >= 400 || f.StatusClass >= 4 {
		// The literal condition of the failures' partial index, which
		// SQLite uses only when the query states it word for word.
		where += ` AND status >= 400`
	}
	if f.ErrorCode != "" {
		add(`error_code = ?`, f.ErrorCode)
	}
	if f.Method != "" {
		add(`method = ?`, f.Method)
	}
	if f.Path != "" {
		add(`path = ?`, f.Path)
	}
	if f.Route != "" {
		add(`route = ?`, f.Route)
	}
	if f.APIKeyID != "" {
		add(`api_key = ?`, key)
	}
	if f.Source != "" {
		add(`source = ?`, f.Source)
	}
	if !f.Since.IsZero() {
		add(`created_at >= ?`, micros(f.Since))
	}
	if !f.Until.IsZero() {
		add(`created_at < ?`, micros(f.Until))
	}
	return where, args
}

func (s requestLogs) FindRequestLogCursor(ctx context.Context, accountID, id string) (*docsapi.RequestLogCursor, error) {
	account, err := s.db.logNames.number(ctx, s.db, logName{accountNames, accountID})
	if err != nil {
		return nil, fmt.Errorf("find request log cursor: %w", err)
	}
	var created, seq int64
	err = s.db.reader(ctx).QueryRowContext(ctx,
		`SELECT created_at, seq FROM request_logs WHERE account = ? AND id = ?`, account, id).Scan(&created, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find request log cursor: %w", err)
	}
	return &docsapi.RequestLogCursor{CreatedAt: fromMicros(created), Seq: seq}, nil
}

// requestLogOrderBy is the ORDER BY of each order.
var requestLogOrderBy = map[docsapi.RequestLogOrder]string{
	{}:                                ` ORDER BY seq DESC`,
	{OldestFirst: true}:               ` ORDER BY seq ASC`,
	{ByTime: true}:                    ` ORDER BY created_at DESC, seq DESC`,
	{ByTime: true, OldestFirst: true}: ` ORDER BY created_at ASC, seq ASC`,
}

// pastCursor adds to where and args the condition that keeps the entries
// past c in order o. By time, created_at is bounded on its own as well, so
// that the created_at index reads from c on.
func pastCursor(o docsapi.RequestLogOrder, c *docsapi.RequestLogCursor, where string, args []any) (string, []any) {
	created := micros(c.CreatedAt)
	switch {
	case o.ByTime && o.OldestFirst:
		return where + ` AND created_at >= ? AND (created_at > ? OR seq > ?)`, append(args, created, created, c.Seq)
	case o.ByTime:
		return where + ` AND created_at <= ? AND (created_at < ? OR seq < ?)`, append(args, created, created, c.Seq)
	case o.OldestFirst:
		return where + ` AND seq > ?`, append(args, c.Seq)
	}
	return where + ` AND seq < ?`, append(args, c.Seq)
}

func (s requestLogs) ListRequestLogs(ctx context.Context, accountID string, f docsapi.RequestLogFilter, o docsapi.RequestLogOrder, after *docsapi.RequestLogCursor, limit int) ([]*docsapi.RequestLog, error) {
	account, err := s.db.logNames.number(ctx, s.db, logName{accountNames, accountID})
	var key any
	if err == nil && f.APIKeyID != "" {
		key, err = s.db.logNames.number(ctx, s.db, logName{keyNames, f.APIKeyID})
	}
	if err != nil {
		return nil, fmt.Errorf("list request logs: %w", err)
	}
	where, args := filterWhere(account, key, f)
	if after != nil {
		where, args = pastCursor(o, after, where, args)
	}
	items, err := queryAll(ctx, s.db.reader(ctx), scanRequestLog,
		`SELECT `+requestLogColumns+` FROM request_logs WHERE `+where+requestLogOrderBy[o]+` LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list request logs: %w", err)
	}
	return items, nil
}

// RequestLogTimeline counts the account's requests per bucket. SQLite has
// no percentile function, so the window's rows, read from the covering
// index, are bucketed and their percentiles computed here.
func (s requestLogs) RequestLogTimeline(ctx context.Context, accountID string, starts []time.Time, until time.Time, bucket time.Duration) ([]docsapi.RequestLogBucket, error) {
	account, err := s.db.logNames.number(ctx, s.db, logName{accountNames, accountID})
	if err != nil {
		return nil, fmt.Errorf("request timeline: %w", err)
	}
	first, width := micros(starts[0]), bucket.Microseconds()
	rows, err := s.db.reader(ctx).QueryContext(ctx,
		`SELECT (created_at - ?) / ?, status, duration_us FROM request_logs
		 WHERE account = ? AND created_at >= ? AND created_at < ?`,
		first, width, account, first, micros(until))
	if err != nil {
		return nil, fmt.Errorf("request timeline: %w", err)
	}
	defer rows.Close()
	out := make([]docsapi.RequestLogBucket, len(starts))
	durations := make([][]time.Duration, len(starts))
	for rows.Next() {
		var i, status int
		var us int64
		if err := rows.Scan(&i, &status, &us); err != nil {
			return nil, fmt.Errorf("request timeline: %w", err)
		}
		out[i].Count(status)
		durations[i] = append(durations[i], time.Duration(us)*time.Microsecond)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("request timeline: %w", err)
	}
	for i := range out {
		out[i].Start = starts[i]
		slices.Sort(durations[i])
		out[i].P50, out[i].P99 = docsapi.Percentile(durations[i], 0.5), docsapi.Percentile(durations[i], 0.99)
	}
	return out, nil
}

// FindErrorGroups groups the account's failures since then by code and
// route. The planner would rather walk the (error_code, route) index, whose
// order matches the grouping, but that reads every failure ever logged;
// the window's range of the created_at index reads only its own. For each
// group's examples it is the other way round: without statistics (the
// server never runs ANALYZE) the planner sorted the whole window's
// failures once per group, 83 ms instead of 2 at a million entries.
func (s requestLogs) FindErrorGroups(ctx context.Context, accountID string, since time.Time, limit int) ([]*docsapi.ErrorGroup, error) {
	account, err := s.db.logNames.number(ctx, s.db, logName{accountNames, accountID})
	if err != nil {
		return nil, fmt.Errorf("find error groups: %w", err)
	}
	groups, err := queryAll(ctx, s.db.reader(ctx), func(sc scanner) (*docsapi.ErrorGroup, error) {
		var g docsapi.ErrorGroup
		var first, last int64
		if err := sc.Scan(&g.ErrorCode, &g.Route, &g.Count, &first, &last); err != nil {
			return nil, err
		}
		g.FirstSeen, g.LastSeen = fromMicros(first), fromMicros(last)
		return &g, nil
	}, `SELECT error_code, route, COUNT(*), MIN(created_at), MAX(created_at)
		FROM request_logs INDEXED BY request_logs_account_errors
		WHERE account = ? AND error_code IS NOT NULL AND created_at >= ?
		GROUP BY error_code, route ORDER BY MAX(created_at) DESC, error_code, route LIMIT ?`,
		account, micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("find error groups: %w", err)
	}
	for _, g := range groups {
		g.ExampleIDs, err = queryAll(ctx, s.db.reader(ctx), func(sc scanner) (string, error) {
			var id string
			return id, sc.Scan(&id)
		}, errorGroupExamples, account, g.ErrorCode, g.Route, micros(since), min(g.Count, docsapi.ErrorGroupExamples))
		if err != nil {
			return nil, fmt.Errorf("find error group examples: %w", err)
		}
	}
	return groups, nil
}

// errorGroupExamples selects the newest entries of an error group. The
// range is the group's whole history, newest first: the LIMIT, no more
// than the group's count in the window, is what stops it (a group with
// one failure in the window and 300,000 before: 370 ms with a LIMIT of 3,
// under 0.3 ms with 1).
const errorGroupExamples = `SELECT id FROM request_logs INDEXED BY request_logs_account_error_route
	WHERE account = ? AND error_code IS NOT NULL AND error_code = ? AND route = ? AND created_at >= ?
	ORDER BY seq DESC LIMIT ?`

// FindKeyUsage counts the account's requests since then per key.
func (s requestLogs) FindKeyUsage(ctx context.Context, accountID string, since time.Time) ([]*docsapi.KeyUsage, error) {
	account, err := s.db.logNames.number(ctx, s.db, logName{accountNames, accountID})
	if err != nil {
		return nil, fmt.Errorf("find key usage: %w", err)
	}
	out, err := queryAll(ctx, s.db.reader(ctx), func(sc scanner) (*docsapi.KeyUsage, error) {
		var u docsapi.KeyUsage
		return &u, sc.Scan(&u.APIKeyID, &u.Requests, &u.RateLimited)
	}, `SELECT (SELECT id FROM request_log_keys WHERE n = api_key), COUNT(*), SUM(status = 429) FROM request_logs
		WHERE account = ? AND created_at >= ? GROUP BY api_key`, account, micros(since))
	if err != nil {
		return nil, fmt.Errorf("find key usage: %w", err)
	}
	return out, nil
}

// PurgeRequestLogs deletes entries created before t. Every entry belongs to
// an account; going through them lets the purge read each account's oldest
// entries from request_logs_account_created, so that no index on
// created_at alone is written with every entry.
func (s requestLogs) PurgeRequestLogs(ctx context.Context, before time.Time) (int64, error) {
	// Entries are found through each account's range of the (account,
	// created_at) index, in account order. Each batch starts at the account
	// where the last one stopped, so that no batch probes again the
	// accounts already done: with many accounts, that was most of its work.
	var from int64
	n, err := docsapi.PurgeInBatches(ctx, purgeBatch, func(ctx context.Context) (n int64, err error) {
		last := from
		err = s.db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
			rows, err := s.db.reader(ctx).QueryContext(ctx, `DELETE FROM request_logs WHERE seq IN (
				SELECT seq FROM request_logs
				WHERE account IN (SELECT n FROM request_log_accounts WHERE n >= ?) AND created_at < ?
				ORDER BY account LIMIT ?)
				RETURNING account`, from, micros(before), purgeBatch)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var account int64
				if err := rows.Scan(&account); err != nil {
					return err
				}
				n, last = n+1, max(last, account)
			}
			return rows.Err()
		})
		if err == nil {
			from = last
		}
		return n, err
	})
	if err != nil {
		return n, fmt.Errorf("purge request logs: %w", err)
	}
	return n, nil
}
