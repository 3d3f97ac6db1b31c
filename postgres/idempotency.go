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

// IdempotencyService implements docsapi.IdempotencyService. The records are
// rows of idempotency_keys, so instances that share the database share them.
type IdempotencyService struct{ db *DB }

// NewIdempotencyService returns an IdempotencyService on db.
func NewIdempotencyService(db *DB) *IdempotencyService { return &IdempotencyService{db: db} }

// Begin claims key, or returns the stored response of a finished request.
// Each statement commits on its own, so that a claim is visible to every
// instance at once and Begin never holds a lock while others wait.
func (s *IdempotencyService) Begin(ctx context.Context, accountID, key, fingerprint, requestID string) (*docsapi.IdempotencyClaim, *docsapi.StoredResponse, error) {
	// The takeover's UPDATE waits for the row lock of a transaction still
	// working under the key.
	ctx, cancel := context.WithTimeout(ctx, docsapi.IdempotencyWait)
	defer cancel()
	claim := docsapi.NewIdempotencyClaim(accountID, key, fingerprint, requestID)
	rec, err := s.claim(ctx, claim)
	if err == nil && rec != nil && rec.expired {
		// Past its TTL but not purged yet: it no longer counts, and the
		// claim needs its place.
		if _, err := s.db.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at < $3`,
			accountID, key, ttlCutoff()); err != nil {
			return nil, nil, fmt.Errorf("delete expired idempotency key: %w", err)
		}
		if rec, err = s.claim(ctx, claim); err == nil && rec != nil && rec.expired {
			// Claimed meanwhile by an instance whose clock is a day
			// behind: the caller asks again.
			err = docsapi.ErrIdempotencyInProgress
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if rec == nil {
		return claim, nil, nil
	}
	if stored, err := rec.Resolve(fingerprint); stored != nil || err != nil {
		return nil, stored, err
	}
	// The holder's lease ran out: it crashed, so this request takes over,
	// unless another one did first and changed the token.
	tag, err := s.db.pool.Exec(ctx,
		`UPDATE idempotency_keys SET token = $1, locked_at = now(), request_id = $2
		 WHERE account_id = $3 AND key = $4 AND token = $5 AND status IS NULL`,
		claim.Token, requestID, accountID, key, rec.token)
	if err != nil {
		return nil, nil, fmt.Errorf("take over idempotency key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, nil, docsapi.ErrIdempotencyInProgress
	}
	return claim, nil, nil
}

// claimLockTimeout bounds how long a claim waits for a transaction that
// wrote the key's row and has not committed, a request storing its
// response most likely. Past it the duplicate is told the key is in
// progress and polls, as when it finds the claim; it never holds a
// connection for as long as that request's commit might take.
const claimLockTimeout = "20ms"

// lockNotAvailable is PostgreSQL's SQLSTATE for a lock_timeout.
const lockNotAvailable = "55P03"

// claim inserts c's claim and returns nil, or the record that holds the
// key already. A new key, the common case, costs one round trip: reading
// first cost every create a second one. ON CONFLICT DO NOTHING locks no
// row, but waits for a transaction that wrote the key's row and has not
// committed; claimLockTimeout bounds that.
//
// The claim commits without waiting for the disk (synchronous_commit off,
// for this transaction only: the batch is one transaction). The WAL is one
// sequence, so the commit of the work, which the response waits for,
// makes the claim durable too; a claim lost with the database before that
// had no work committed under it, and a retry claims the key again.
// Together, creates 1.18 times as fast (docs/performance.md).
func (s *IdempotencyService) claim(ctx context.Context, c *docsapi.IdempotencyClaim) (*idempotencyRecord, error) {
	var b pgx.Batch
	b.Queue(`SELECT set_config('synchronous_commit', 'off', true), set_config('lock_timeout', $1, true)`, claimLockTimeout)
	insert := b.Queue(`INSERT INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, now(), $6)
		 ON CONFLICT (account_id, key) DO NOTHING`,
		c.AccountID, c.Key, c.Fingerprint, c.RequestID, c.Token, docsapi.Now())
	var tag pgconn.CommandTag
	insert.Exec(func(t pgconn.CommandTag) error { tag = t; return nil })
	if err := s.db.pool.SendBatch(ctx, &b).Close(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == lockNotAvailable {
			return nil, docsapi.ErrIdempotencyInProgress
		}
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	rec, err := findIdempotencyRecord(ctx, s.db.pool, c.AccountID, c.Key)
	if err == nil && rec == nil {
		// Claimed and released since the insert; the caller asks again.
		err = docsapi.ErrIdempotencyInProgress
	}
	return rec, err
}

// ttlCutoff is the creation time before which a record has expired.
func ttlCutoff() time.Time { return docsapi.Now().Add(-docsapi.IdempotencyTTL) }

// idempotencyRecord is a row of idempotency_keys.
type idempotencyRecord struct {
	docsapi.IdempotencyRecord
	token   string
	expired bool
}

// findIdempotencyRecord returns the key's record, expired or not, or nil.
func findIdempotencyRecord(ctx context.Context, q querier, accountID, key string) (*idempotencyRecord, error) {
	var r idempotencyRecord
	var status pgtype.Int4
	// The lease is judged by the database's clock, the one all instances share.
	err := q.QueryRow(ctx,
		`SELECT fingerprint, request_id, token, status, body, locked_at < now() - $3::interval, created_at < $4
		 FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
		accountID, key, docsapi.IdempotencyLease, ttlCutoff()).Scan(&r.Fingerprint, &r.RequestID, &r.token, &status, &r.Body, &r.Stale, &r.expired)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find idempotency key: %w", err)
	}
	r.Finished, r.Status = status.Valid, int(status.Int32)
	return &r, nil
}

// Complete runs fn and stores its response with the claim in one
// transaction. The claim committed in Begin, so a duplicate never gets one
// and Complete never replays.
func (s *IdempotencyService) Complete(ctx context.Context, c *docsapi.IdempotencyClaim, fn func(ctx context.Context) (*docsapi.StoredResponse, error)) (*docsapi.StoredResponse, bool, error) {
	var resp *docsapi.StoredResponse
	err := s.db.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		resp, err = docsapi.RunIdempotentWork(ctx, fn, func(resp *docsapi.StoredResponse) error {
			tag, err := tx.Exec(ctx,
				`UPDATE idempotency_keys SET status = $1, body = $2, request_id = $3 WHERE account_id = $4 AND key = $5 AND token = $6`,
				resp.Status, resp.Body, resp.RequestID, c.AccountID, c.Key, c.Token)
			if err != nil {
				return fmt.Errorf("store idempotent response: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return docsapi.ErrIdempotencyTakenOver
			}
			return nil
		})
		return err
	})
	if err == nil {
		return resp, false, nil
	}
	// Nothing of the work committed: free the key so that a retry runs it
	// again. A claim left in place holds retries off for its lease, so its
	// failure is returned, for the log, even beside a rolled-back 5xx.
	rerr := s.release(context.WithoutCancel(ctx), c)
	if errors.Is(err, docsapi.ErrRollback) && rerr == nil {
		return resp, false, nil
	}
	return nil, false, errors.Join(err, rerr)
}

// release deletes an unfinished claim that still holds c's token.
func (s *IdempotencyService) release(ctx context.Context, c *docsapi.IdempotencyClaim) error {
	if _, err := s.db.pool.Exec(ctx,
		`DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND token = $3 AND status IS NULL`,
		c.AccountID, c.Key, c.Token); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

// Extend renews the claim's lease on the database's clock. It runs on its
// own connection while the work's transaction is open, and touches only
// locked_at, which the work does not write.
func (s *IdempotencyService) Extend(ctx context.Context, c *docsapi.IdempotencyClaim) error {
	if _, err := s.db.pool.Exec(ctx,
		`UPDATE idempotency_keys SET locked_at = now() WHERE account_id = $1 AND key = $2 AND token = $3 AND status IS NULL`,
		c.AccountID, c.Key, c.Token); err != nil {
		return fmt.Errorf("extend idempotency claim: %w", err)
	}
	return nil
}

// PurgeIdempotencyRecords deletes records created before t.
func (s *IdempotencyService) PurgeIdempotencyRecords(ctx context.Context, before time.Time) (int64, error) {
	n, err := docsapi.PurgeInBatches(ctx, purgeBatch, func(ctx context.Context) (int64, error) {
		tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM idempotency_keys WHERE (account_id, key) IN (
			SELECT account_id, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)`, before, purgeBatch)
		return tag.RowsAffected(), err
	})
	if err != nil {
		return n, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}
