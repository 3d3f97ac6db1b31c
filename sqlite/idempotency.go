package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
)

// IdempotencyService implements docsapi.IdempotencyService. One commit holds
// the claim, the work and its stored response. Until it commits, the claim
// lives in the process's memory, where duplicates find it and wait. The
// record is read only in Complete, under the write lock: there a finished
// duplicate's response is replayed instead of working. A read in Begin as
// well would cost every new key a read transaction (a sixth of a create's
// CPU) to answer early only the rare retry of a finished request.
type IdempotencyService struct{ db *DB }

// claimKey keys the claims running in this process.
type claimKey struct{ accountID, key string }

// NewIdempotencyService returns an IdempotencyService on db.
func NewIdempotencyService(db *DB) *IdempotencyService { return &IdempotencyService{db: db} }

// Begin answers from the claims running in this process: in progress, a
// conflict, or a claim that writes nothing until Complete. It never returns
// a stored response; Complete does.
func (s *IdempotencyService) Begin(ctx context.Context, accountID, key, fingerprint, requestID string) (*docsapi.IdempotencyClaim, *docsapi.StoredResponse, error) {
	k := claimKey{accountID, key}
	s.db.claimsMu.Lock()
	defer s.db.claimsMu.Unlock()
	if running, ok := s.db.claims[k]; ok {
		// In progress, or a conflict for another fingerprint.
		_, err := (&docsapi.IdempotencyRecord{Fingerprint: running.Fingerprint}).Resolve(fingerprint)
		return nil, nil, err
	}
	c := docsapi.NewIdempotencyClaim(accountID, key, fingerprint, requestID)
	s.db.claims[k] = c
	return c, nil, nil
}

// release forgets c once its work committed or rolled back.
func (s *IdempotencyService) release(c *docsapi.IdempotencyClaim) {
	k := claimKey{c.AccountID, c.Key}
	s.db.claimsMu.Lock()
	defer s.db.claimsMu.Unlock()
	if s.db.claims[k] == c {
		delete(s.db.claims, k)
	}
}

// findIdempotencyRecord returns the key's record, or nil when it has none
// or only an expired one, which a new claim overwrites.
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

// Complete runs fn and stores the claim with its response in one commit,
// unless a duplicate finished first.
func (s *IdempotencyService) Complete(ctx context.Context, c *docsapi.IdempotencyClaim, fn func(ctx context.Context) (*docsapi.StoredResponse, error)) (*docsapi.StoredResponse, bool, error) {
	defer s.release(c)
	var resp *docsapi.StoredResponse
	var replayed bool
	// Like a duplicate, a request gives up on a writer held too long by
	// another request's work.
	err := s.db.inTxWithin(ctx, docsapi.IdempotencyWait, func(ctx context.Context, tx *sql.Tx) error {
		rec, err := findIdempotencyRecord(ctx, s.db.reader(ctx), c.AccountID, c.Key)
		if err != nil {
			return err
		}
		switch {
		case rec != nil && rec.Finished:
			resp, err = rec.Resolve(c.Fingerprint)
			replayed = resp != nil
			return err
		case rec != nil && !rec.Stale:
			// A claim that an older version, which committed claims
			// before its work, holds on this file: its work may be
			// running, so this request must not work beside it. Once
			// the lease ran out, its process is taken for dead and the
			// claim is overwritten.
			return docsapi.ParamErrorf(docsapi.ECONFLICT, "Idempotency-Key",
				"A request with this Idempotency-Key is still in progress; retry later.")
		}
		resp, err = docsapi.RunIdempotentWork(ctx, fn, func(resp *docsapi.StoredResponse) error {
			now := micros(docsapi.Now())
			// OR REPLACE also overwrites an expired record not yet purged.
			if _, err := s.db.writer(ctx).ExecContext(ctx,
				`INSERT OR REPLACE INTO idempotency_keys (account_id, key, fingerprint, request_id, token, locked_at, created_at, status, body)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.AccountID, c.Key, c.Fingerprint, resp.RequestID, c.Token, now, now, resp.Status, resp.Body); err != nil {
				return fmt.Errorf("store idempotent response: %w", err)
			}
			return nil
		})
		return err
	})
	if errors.Is(err, docsapi.ErrRollback) {
		return resp, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return resp, replayed, nil
}

// Extend does nothing: a claim holds no lease while its work runs.
func (s *IdempotencyService) Extend(ctx context.Context, c *docsapi.IdempotencyClaim) error {
	return nil
}

// PurgeIdempotencyRecords deletes records created before t.
func (s *IdempotencyService) PurgeIdempotencyRecords(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.db.purgeBefore(ctx, `DELETE FROM idempotency_keys WHERE rowid IN (
		SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT ?)`, before)
	if err != nil {
		return n, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}
