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
	// A read first: duplicates of a running request then wait without
	// queueing for the single write connection that the first one holds.
	rec, err := findIdempotencyRecord(ctx, s.db.read, accountID, key)
	if err != nil {
		return nil, nil, err
	}
	if rec != nil {
		if stored, err := rec.Resolve(fingerprint); stored != nil || err != nil {
			return nil, stored, err
		}
	}
	claim := &docsapi.IdempotencyClaim{AccountID: accountID, Key: key, Token: docsapi.RandomBase62(20)}
	var stored *docsapi.StoredResponse
	err = s.db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rec, err := findIdempotencyRecord(ctx, tx, accountID, key)
		if err != nil {
			return err
		}
		now := docsapi.Now()
		if rec == nil {
			// INSERT OR REPLACE also overwrites an expired record not yet purged.
			_, err := tx.ExecContext(ctx,
				`INSERT OR REPLACE INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, created_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?)`,
				accountID, key, fingerprint, requestID, claim.Token, micros(now), micros(now))
			if err != nil {
				return fmt.Errorf("insert idempotency key: %w", err)
			}
			return nil
		}
		if stored, err = rec.Resolve(fingerprint); stored != nil || err != nil {
			return err
		}
		// The holder's lease ran out: it crashed, so this request takes over.
		if _, err := tx.ExecContext(ctx,
			`UPDATE idempotency_keys SET token = ?, locked_at = ?, request_id = ? WHERE account_id = ? AND key = ?`,
			claim.Token, micros(now), requestID, accountID, key); err != nil {
			return fmt.Errorf("take over idempotency key: %w", err)
		}
		return nil
	})
	if err != nil || stored != nil {
		return nil, stored, err
	}
	return claim, nil, nil
}

func findIdempotencyRecord(ctx context.Context, q querier, accountID, key string) (*docsapi.IdempotencyRecord, error) {
	var r docsapi.IdempotencyRecord
	var lockedAt int64
	var status sql.NullInt64
	err := q.QueryRowContext(ctx,
		`SELECT fingerprint, request_id, locked_at, status, body FROM idempotency_keys
		 WHERE account_id = ? AND key = ? AND created_at >= ?`,
		accountID, key, micros(docsapi.Now().Add(-docsapi.IdempotencyTTL))).Scan(&r.Fingerprint, &r.RequestID, &lockedAt, &status, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find idempotency key: %w", err)
	}
	r.Finished, r.Status = status.Valid, int(status.Int64)
	r.Stale = time.Since(fromMicros(lockedAt)) >= docsapi.IdempotencyLease
	return &r, nil
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
			return docsapi.ErrIdempotencyTakenOver
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

// Extend does nothing: the work's transaction holds SQLite's write lock,
// which a take-over needs, so a running claim cannot be taken over.
func (s *IdempotencyService) Extend(ctx context.Context, c *docsapi.IdempotencyClaim) error {
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
