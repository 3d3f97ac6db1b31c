package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// NewRequestLogService returns a RequestLogService on db.
func NewRequestLogService(db *DB) docsapi.RequestLogService {
	return docsapi.NewRequestLogService(requestLogs{db})
}

// requestLogs is the SQL of the RequestLogService.
type requestLogs struct{ db *DB }

const requestLogColumns = `id, account_id, method, path, route, status, error_code, error_message, error_param, api_key_id,
	idempotency_key, idempotent_replayed, duration_us, ip, user_agent, source, created_at`

// scanRequestLog reads a row of requestLogColumns; NULL columns read as "".
func scanRequestLog(row pgx.Row) (*docsapi.RequestLog, error) {
	var l docsapi.RequestLog
	var code, message, param, idemKey, ip, ua pgtype.Text
	var durationUS int64
	if err := row.Scan(&l.ID, &l.AccountID, &l.Method, &l.Path, &l.Route, &l.Status, &code, &message, &param, &l.APIKeyID,
		&idemKey, &l.IdempotentReplayed, &durationUS, &ip, &ua, &l.Source, &l.CreatedAt); err != nil {
		return nil, err
	}
	l.ErrorCode, l.ErrorMessage, l.ErrorParam = code.String, message.String, param.String
	l.IdempotencyKey, l.IP, l.UserAgent = idemKey.String, ip.String, ua.String
	l.Duration = time.Duration(durationUS) * time.Microsecond
	return &l, nil
}

// nullText stores "" as NULL.
func nullText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// requestLogLock takes the advisory lock, one per schema, that request-log
// batches hold from before their first seq is drawn until they commit, so
// that seq order is commit order across instances: a tail that read up to
// one seq can never later find a smaller one committed.
const requestLogLock = `SELECT pg_advisory_xact_lock(hashtext('docsapi.request_logs.' || current_schema()))`

// insertRequestLogs inserts entries given as one array per column, in
// their order: seq follows the order of the batch.
const insertRequestLogs = `INSERT INTO request_logs (` + requestLogColumns + `)
	SELECT ` + requestLogColumns + ` FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
		$6::integer[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::boolean[],
		$13::bigint[], $14::text[], $15::text[], $16::text[], $17::timestamptz[])
		WITH ORDINALITY AS e(` + requestLogColumns + `, n)
	ORDER BY n
	ON CONFLICT (id) DO NOTHING`

// InsertRequestLogs stores a batch of entries in one transaction, sent in
// one round trip, with one INSERT whose parameters are the columns: the
// entries' values then go in a few arrays rather than each in a boxed
// argument of a statement of its own.
func (s requestLogs) InsertRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	if len(logs) == 0 {
		return nil
	}
	n := len(logs)
	ids, accounts, methods, paths, routes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	statuses := make([]int32, n)
	codes, messages, params := make([]pgtype.Text, n), make([]pgtype.Text, n), make([]pgtype.Text, n)
	keys, idemKeys, replayed := make([]string, n), make([]pgtype.Text, n), make([]bool, n)
	durations, ips, agents := make([]int64, n), make([]pgtype.Text, n), make([]pgtype.Text, n)
	sources, created := make([]string, n), make([]time.Time, n)
	for i, l := range logs {
		ids[i], accounts[i], methods[i], paths[i], routes[i] = l.ID, l.AccountID, l.Method, l.Path, l.Route
		statuses[i] = int32(l.Status)
		codes[i], messages[i], params[i] = nullText(l.ErrorCode), nullText(l.ErrorMessage), nullText(l.ErrorParam)
		keys[i], idemKeys[i], replayed[i] = l.APIKeyID, nullText(l.IdempotencyKey), l.IdempotentReplayed
		durations[i], ips[i], agents[i] = l.Duration.Microseconds(), nullText(l.IP), nullText(l.UserAgent)
		sources[i], created[i] = l.Source, l.CreatedAt
	}
	return s.db.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(requestLogLock)
		b.Queue(insertRequestLogs, ids, accounts, methods, paths, routes, statuses, codes, messages, params,
			keys, idemKeys, replayed, durations, ips, agents, sources, created)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			var pgErr *pgconn.PgError
			// A server that is not PostgreSQL may send an error without a code.
			if errors.As(err, &pgErr) && len(pgErr.Code) == 5 && refusedContent[pgErr.Code[:2]] {
				return fmt.Errorf("insert request logs: %w: %w", docsapi.ErrEntryRefused, err)
			}
			return fmt.Errorf("insert request logs: %w", err)
		}
		return nil
	})
}

// refusedContent are the SQLSTATE classes of errors that a row's values
// cause, not the server: data exceptions (22), such as text the column
// cannot hold, and program limits (54), such as an index row over 2,704
// bytes.
var refusedContent = map[string]bool{"22": true, "54": true}

func (s requestLogs) FindRequestLog(ctx context.Context, accountID, id string) (*docsapi.RequestLog, error) {
	l, err := scanRequestLog(s.db.conn(ctx).QueryRow(ctx,
		`SELECT `+requestLogColumns+` FROM request_logs WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find request log: %w", err)
	}
	return l, nil
}

// filterWhere returns the condition selecting the account's entries that
// match f, and its arguments. Each field is an equality or range on an
// indexed column, so that each page is an index range scan.
func filterWhere(accountID string, f docsapi.RequestLogFilter) (string, []any) {
	where, args := `account_id = $1`, []any{accountID}
	add := func(cond string, arg any) {
		where += ` AND ` + cond + ` ` + bind(&args, arg)
	}
	if f.Status > 0 {
		// The status-class index serves it; status is checked on its rows.
		add(`status_class =`, f.Status/100)
		add(`status =`, f.Status)
	}
	if f.StatusClass > 0 {
		add(`status_class =`, f.StatusClass)
	}
	if f.ErrorCode != "" {
		add(`error_code =`, f.ErrorCode)
	}
	if f.Method != "" {
		add(`method =`, f.Method)
	}
	if f.Path != "" {
		add(`path =`, f.Path)
	}
	if f.Route != "" {
		add(`route =`, f.Route)
	}
	if f.APIKeyID != "" {
		add(`api_key_id =`, f.APIKeyID)
	}
	if f.Source != "" {
		add(`source =`, f.Source)
	}
	if !f.Since.IsZero() {
		add(`created_at >=`, f.Since)
	}
	if !f.Until.IsZero() {
		add(`created_at <`, f.Until)
	}
	return where, args
}

func (s requestLogs) FindRequestLogCursor(ctx context.Context, accountID, id string) (*docsapi.RequestLogCursor, error) {
	var c docsapi.RequestLogCursor
	err := s.db.conn(ctx).QueryRow(ctx,
		`SELECT created_at, seq FROM request_logs WHERE account_id = $1 AND id = $2`, accountID, id).Scan(&c.CreatedAt, &c.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find request log cursor: %w", err)
	}
	return &c, nil
}

// requestLogOrderBy is the ORDER BY of each order.
var requestLogOrderBy = map[docsapi.RequestLogOrder]string{
	{}:                                ` ORDER BY seq DESC`,
	{OldestFirst: true}:               ` ORDER BY seq ASC`,
	{ByTime: true}:                    ` ORDER BY created_at DESC, seq DESC`,
	{ByTime: true, OldestFirst: true}: ` ORDER BY created_at ASC, seq ASC`,
}

// pastCursor returns the condition that keeps the entries past c in order
// o, its arguments bound in args. By time, created_at is bounded on its own
// as well, so that the created_at index reads from c on.
func pastCursor(o docsapi.RequestLogOrder, c *docsapi.RequestLogCursor, args *[]any) string {
	switch {
	case o.ByTime && o.OldestFirst:
		t, n := bind(args, c.CreatedAt), bind(args, c.Seq)
		return ` AND created_at >= ` + t + ` AND (created_at > ` + t + ` OR seq > ` + n + `)`
	case o.ByTime:
		t, n := bind(args, c.CreatedAt), bind(args, c.Seq)
		return ` AND created_at <= ` + t + ` AND (created_at < ` + t + ` OR seq < ` + n + `)`
	case o.OldestFirst:
		return ` AND seq > ` + bind(args, c.Seq)
	}
	return ` AND seq < ` + bind(args, c.Seq)
}

func (s requestLogs) ListRequestLogs(ctx context.Context, accountID string, f docsapi.RequestLogFilter, o docsapi.RequestLogOrder, after *docsapi.RequestLogCursor, limit int) ([]*docsapi.RequestLog, error) {
	where, args := filterWhere(accountID, f)
	if after != nil {
		where += pastCursor(o, after, &args)
	}
	where += requestLogOrderBy[o] + ` LIMIT ` + bind(&args, limit)
	items, err := queryAll(ctx, s.db.conn(ctx), scanRequestLog, `SELECT `+requestLogColumns+` FROM request_logs WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list request logs: %w", err)
	}
	return items, nil
}

// RequestLogTimeline counts the account's requests per bucket, in one
// aggregate over an index-only range scan.
func (s requestLogs) RequestLogTimeline(ctx context.Context, accountID string, starts []time.Time, until time.Time, bucket time.Duration) ([]docsapi.RequestLogBucket, error) {
	rows, err := s.db.conn(ctx).Query(ctx,
		`SELECT floor(extract(epoch FROM created_at - $2) / $4)::int AS b,
		        count(*) FILTER (WHERE status < 400),
		        count(*) FILTER (WHERE status >= 400 AND status < 500 AND status <> 429),
		        count(*) FILTER (WHERE status = 429),
		        count(*) FILTER (WHERE status >= 500),
		        percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_us),
		        percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_us)
		 FROM request_logs
		 WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
		 GROUP BY b`,
		accountID, starts[0], until, bucket.Seconds())
	if err != nil {
		return nil, fmt.Errorf("request timeline: %w", err)
	}
	out := make([]docsapi.RequestLogBucket, len(starts))
	for i := range out {
		out[i].Start = starts[i]
	}
	var i int
	var b docsapi.RequestLogBucket
	var p50, p99 float64
	_, err = pgx.ForEachRow(rows, []any{&i, &b.Success, &b.ClientError, &b.RateLimited, &b.ServerError, &p50, &p99}, func() error {
		b.Start, b.P50, b.P99 = starts[i], docsapi.MicrosDuration(p50), docsapi.MicrosDuration(p99)
		out[i] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("request timeline: %w", err)
	}
	return out, nil
}

// FindErrorGroups groups the account's failures since then by code and
// route, with each group's newest examples from a lateral index scan. The
// scan may walk the group's history newest first, filtering on the window:
// a LIMIT of at most the group's count in the window stops it there (a
// group with one failure in the last hour and 300,000 before, before
// ANALYZE: 46 ms with a LIMIT of 3).
func (s requestLogs) FindErrorGroups(ctx context.Context, accountID string, since time.Time, limit int) ([]*docsapi.ErrorGroup, error) {
	rows, err := s.db.conn(ctx).Query(ctx,
		`SELECT g.error_code, g.route, g.n, g.first_seen, g.last_seen, e.ids
		 FROM (SELECT error_code, route, count(*) AS n, min(created_at) AS first_seen, max(created_at) AS last_seen
		       FROM request_logs
		       WHERE account_id = $1 AND error_code IS NOT NULL AND created_at >= $2
		       GROUP BY error_code, route ORDER BY last_seen DESC, error_code, route LIMIT $3) g
		 CROSS JOIN LATERAL (SELECT array_agg(id) AS ids FROM (
		       SELECT id FROM request_logs
		       WHERE account_id = $1 AND error_code IS NOT NULL AND error_code = g.error_code
		         AND route = g.route AND created_at >= $2
		       ORDER BY seq DESC LIMIT LEAST($4, g.n)) x) e
		 ORDER BY g.last_seen DESC, g.error_code, g.route`,
		accountID, since, limit, docsapi.ErrorGroupExamples)
	if err != nil {
		return nil, fmt.Errorf("find error groups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*docsapi.ErrorGroup, error) {
		var g docsapi.ErrorGroup
		return &g, row.Scan(&g.ErrorCode, &g.Route, &g.Count, &g.FirstSeen, &g.LastSeen, &g.ExampleIDs)
	})
	if err != nil {
		return nil, fmt.Errorf("find error groups: %w", err)
	}
	return out, nil
}

// FindKeyUsage counts the account's requests since then per key.
func (s requestLogs) FindKeyUsage(ctx context.Context, accountID string, since time.Time) ([]*docsapi.KeyUsage, error) {
	rows, err := s.db.conn(ctx).Query(ctx,
		`SELECT api_key_id, count(*), count(*) FILTER (WHERE status = 429) FROM request_logs
		 WHERE account_id = $1 AND created_at >= $2 GROUP BY api_key_id`, accountID, since)
	if err != nil {
		return nil, fmt.Errorf("find key usage: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*docsapi.KeyUsage, error) {
		var u docsapi.KeyUsage
		return &u, row.Scan(&u.APIKeyID, &u.Requests, &u.RateLimited)
	})
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
	n, err := docsapi.PurgeInBatches(ctx, purgeBatch, func(ctx context.Context) (int64, error) {
		tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM request_logs WHERE seq IN (
			SELECT seq FROM request_logs WHERE account_id IN (SELECT id FROM accounts) AND created_at < $1 LIMIT $2)`, before, purgeBatch)
		return tag.RowsAffected(), err
	})
	if err != nil {
		return n, fmt.Errorf("purge request logs: %w", err)
	}
	return n, nil
}
