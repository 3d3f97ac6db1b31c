package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
)

// IdempotencyService implements docsapi.IdempotencyService.
type IdempotencyService struct{ db *DB }

// NewIdempotencyService returns an IdempotencyService on db.
func NewIdempotencyService(db *DB) *IdempotencyService { return &IdempotencyService{db: db} }

// Begin claims key, or returns the stored response of a finished request.
func (s *IdempotencyService) Begin(ctx context.Context, accountID, key, fingerprint, requestID string) (*docsapi.IdempotencyClaim, *docsapi.StoredResponse, error) {
	claim := &docsapi.IdempotencyClaim{AccountID: accountID, Key: key, Token: docsapi.RandomBase62(20)}
	var stored *docsapi.StoredResponse
	err := s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := docsapi.Now()
		var fp, origID string
		var lockedAt int64
		var status sql.NullInt64
		var body []byte
		err := tx.QueryRowContext(ctx,
			`SELECT fingerprint, request_id, locked_at, status, body FROM idempotency_keys
			 WHERE account_id = ? AND key = ? AND created_at >= ?`,
			accountID, key, micros(now.Add(-docsapi.IdempotencyTTL))).Scan(&fp, &origID, &lockedAt, &status, &body)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// INSERT OR REPLACE also overwrites an expired record not yet purged.
			_, err := tx.ExecContext(ctx,
				`INSERT OR REPLACE INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, created_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?)`,
				accountID, key, fingerprint, requestID, claim.Token, micros(now), micros(now))
			if err != nil {
				return fmt.Errorf("insert idempotency key: %w", err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("find idempotency key: %w", err)
		case fp != fingerprint:
			return idempotencyConflict("This Idempotency-Key was already used with a different request.")
		case status.Valid:
			stored = &docsapi.StoredResponse{Status: int(status.Int64), Body: body, RequestID: origID}
			claim = nil
			return nil
		case fromMicros(lockedAt).Add(docsapi.IdempotencyLease).After(now):
			return docsapi.ErrIdempotencyInProgress
		}
		// The holder's lease ran out: it crashed, so this request takes over.
		if _, err := tx.ExecContext(ctx,
			`UPDATE idempotency_keys SET token = ?, locked_at = ?, request_id = ? WHERE account_id = ? AND key = ?`,
			claim.Token, micros(now), requestID, accountID, key); err != nil {
			return fmt.Errorf("take over idempotency key: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return claim, stored, nil
}

func idempotencyConflict(msg string) error {
	return docsapi.ParamErrorf(docsapi.ECONFLICT, "Idempotency-Key", "%s", msg)
}

// Complete runs fn and stores its response with the claim in one transaction.
func (s *IdempotencyService) Complete(ctx context.Context, c *docsapi.IdempotencyClaim, fn func(ctx context.Context) (*docsapi.StoredResponse, error)) (*docsapi.StoredResponse, error) {
	var resp *docsapi.StoredResponse
	err := s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if resp, err = fn(ctx); err != nil {
			return err
		}
		if resp.Status >= 500 {
			return errRollback
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE idempotency_keys SET status = ?, body = ?, request_id = ? WHERE account_id = ? AND key = ? AND token = ?`,
			resp.Status, resp.Body, resp.RequestID, c.AccountID, c.Key, c.Token)
		if err != nil {
			return fmt.Errorf("store idempotent response: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store idempotent response: %w", err)
		} else if n == 0 {
			return idempotencyConflict("This Idempotency-Key was taken over by another request after this one ran too long.")
		}
		return nil
	})
	if err == nil {
		return resp, nil
	}
	// Nothing of the work committed: free the key so that a retry runs it again.
	if rerr := s.release(context.WithoutCancel(ctx), c); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if errors.Is(err, errRollback) {
		return resp, nil
	}
	return nil, err
}

// errRollback makes inTx roll back a transaction whose response is a 5xx.
var errRollback = errors.New("rollback")

func (s *IdempotencyService) release(ctx context.Context, c *docsapi.IdempotencyClaim) error {
	if _, err := s.db.write.ExecContext(ctx,
		`DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND token = ? AND status IS NULL`,
		c.AccountID, c.Key, c.Token); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// PurgeIdempotencyRecords deletes records created before t.
func (s *IdempotencyService) PurgeIdempotencyRecords(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.writer(ctx).ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
