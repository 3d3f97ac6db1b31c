package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
)

// RequestLogService implements docsapi.RequestLogService.
type RequestLogService struct{ db *DB }

// NewRequestLogService returns a RequestLogService on db.
func NewRequestLogService(db *DB) *RequestLogService { return &RequestLogService{db: db} }

const requestLogColumns = `id, account_id, method, path, status, error_code, api_key_id, idempotency_key, idempotent_replayed, duration_us, created_at`

func scanRequestLog(s scanner) (*docsapi.RequestLog, error) {
	var l docsapi.RequestLog
	var code, idemKey sql.NullString
	var durationUS, created int64
	if err := s.Scan(&l.ID, &l.AccountID, &l.Method, &l.Path, &l.Status, &code, &l.APIKeyID, &idemKey,
		&l.IdempotentReplayed, &durationUS, &created); err != nil {
		return nil, err
	}
	l.ErrorCode, l.IdempotencyKey = code.String, idemKey.String
	l.Duration = time.Duration(durationUS) * time.Microsecond
	l.CreatedAt = fromMicros(created)
	return &l, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateRequestLogs stores a batch of entries in one transaction.
func (s *RequestLogService) CreateRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	return s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO request_logs (`+requestLogColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("prepare request log insert: %w", err)
		}
		defer stmt.Close()
		for _, l := range logs {
			if _, err := stmt.ExecContext(ctx, l.ID, l.AccountID, l.Method, l.Path, l.Status, nullString(l.ErrorCode),
				l.APIKeyID, nullString(l.IdempotencyKey), l.IdempotentReplayed, l.Duration.Microseconds(), micros(l.CreatedAt)); err != nil {
				return fmt.Errorf("insert request log: %w", err)
			}
		}
		return nil
	})
}

// FindRequestLogByID returns one of the account's entries.
func (s *RequestLogService) FindRequestLogByID(ctx context.Context, accountID, id string) (*docsapi.RequestLog, error) {
	l, err := scanRequestLog(s.db.reader(ctx).QueryRowContext(ctx,
		`SELECT `+requestLogColumns+` FROM request_logs WHERE account_id = ? AND id = ?`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, docsapi.NotFound("request", id)
	} else if err != nil {
		return nil, fmt.Errorf("find request log: %w", err)
	}
	return l, nil
}

// FindRequestLogs returns one page of the account's entries matching f.
func (s *RequestLogService) FindRequestLogs(ctx context.Context, accountID string, f docsapi.RequestLogFilter, p docsapi.ListParams) ([]*docsapi.RequestLog, bool, error) {
	suffix, args, backwards, err := s.db.page(ctx, "request_logs", accountID, p)
	if err != nil {
		return nil, false, err
	}
	where, wargs := `account_id = ?`, []any{accountID}
	// Equality on an indexed column keeps each page an index range scan.
	if f.Status > 0 {
		where, wargs = where+` AND status = ?`, append(wargs, f.Status)
	}
	if f.StatusClass > 0 {
		where, wargs = where+` AND status_class = ?`, append(wargs, f.StatusClass)
	}
	if f.ErrorCode != "" {
		where, wargs = where+` AND error_code = ?`, append(wargs, f.ErrorCode)
	}
	items, err := queryAll(ctx, s.db.reader(ctx), scanRequestLog,
		`SELECT `+requestLogColumns+` FROM request_logs WHERE `+where+suffix, append(wargs, args...)...)
	if err != nil {
		return nil, false, fmt.Errorf("list request logs: %w", err)
	}
	items, more := docsapi.FinishPage(items, p.Limit, backwards)
	return items, more, nil
}

// PurgeRequestLogs deletes entries created before t.
func (s *RequestLogService) PurgeRequestLogs(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.writer(ctx).ExecContext(ctx, `DELETE FROM request_logs WHERE created_at < ?`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("purge request logs: %w", err)
	}
	return res.RowsAffected()
}
