package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// RequestLogService implements docsapi.RequestLogService.
type RequestLogService struct{ db *DB }

// NewRequestLogService returns a RequestLogService on db.
func NewRequestLogService(db *DB) *RequestLogService { return &RequestLogService{db: db} }

const requestLogColumns = `id, account_id, method, path, status, error_code, api_key_id, idempotency_key, idempotent_replayed, duration_us, created_at`

func scanRequestLog(row pgx.Row) (*docsapi.RequestLog, error) {
	var l docsapi.RequestLog
	var code, idemKey pgtype.Text
	var durationUS int64
	if err := row.Scan(&l.ID, &l.AccountID, &l.Method, &l.Path, &l.Status, &code, &l.APIKeyID, &idemKey,
		&l.IdempotentReplayed, &durationUS, &l.CreatedAt); err != nil {
		return nil, err
	}
	l.ErrorCode, l.IdempotencyKey = code.String, idemKey.String
	l.Duration = time.Duration(durationUS) * time.Microsecond
	return &l, nil
}

// nullText stores "" as NULL.
func nullText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// CreateRequestLogs stores a batch of entries in one transaction, sent in
// one round trip.
func (s *RequestLogService) CreateRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	if len(logs) == 0 {
		return nil
	}
	return s.db.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var b pgx.Batch
		for _, l := range logs {
			b.Queue(`INSERT INTO request_logs (`+requestLogColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
				l.ID, l.AccountID, l.Method, l.Path, l.Status, nullText(l.ErrorCode),
				l.APIKeyID, nullText(l.IdempotencyKey), l.IdempotentReplayed, l.Duration.Microseconds(), l.CreatedAt)
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("insert request logs: %w", err)
		}
		return nil
	})
}

// FindRequestLogByID returns one of the account's entries.
func (s *RequestLogService) FindRequestLogByID(ctx context.Context, accountID, id string) (*docsapi.RequestLog, error) {
	l, err := scanRequestLog(s.db.conn(ctx).QueryRow(ctx,
		`SELECT `+requestLogColumns+` FROM request_logs WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, docsapi.NotFound("request", id)
	} else if err != nil {
		return nil, fmt.Errorf("find request log: %w", err)
	}
	return l, nil
}

// FindRequestLogs returns one page of the account's entries matching f.
func (s *RequestLogService) FindRequestLogs(ctx context.Context, accountID string, f docsapi.RequestLogFilter, p docsapi.ListParams) ([]*docsapi.RequestLog, bool, error) {
	args := pgx.NamedArgs{"account_id": accountID}
	suffix, backwards, err := s.db.page(ctx, "request_logs", accountID, p, args)
	if err != nil {
		return nil, false, err
	}
	where := `account_id = @account_id`
	// Equality on an indexed column keeps each page an index range scan.
	if f.Status > 0 {
		where += ` AND status = @status`
		args["status"] = f.Status
	}
	if f.StatusClass > 0 {
		where += ` AND status_class = @status_class`
		args["status_class"] = f.StatusClass
	}
	if f.ErrorCode != "" {
		where += ` AND error_code = @error_code`
		args["error_code"] = f.ErrorCode
	}
	items, err := queryAll(ctx, s.db.conn(ctx), scanRequestLog,
		`SELECT `+requestLogColumns+` FROM request_logs WHERE `+where+suffix, args)
	if err != nil {
		return nil, false, fmt.Errorf("list request logs: %w", err)
	}
	items, more := docsapi.FinishPage(items, p.Limit, backwards)
	return items, more, nil
}

// PurgeRequestLogs deletes entries created before t.
func (s *RequestLogService) PurgeRequestLogs(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM request_logs WHERE created_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purge request logs: %w", err)
	}
	return tag.RowsAffected(), nil
}
