package docsapi

import (
	"context"
	"errors"
	"time"
)

// Idempotency timings from the contract.
const (
	IdempotencyTTL = 24 * time.Hour
	// IdempotencyWait is how long a duplicate waits for the first request.
	IdempotencyWait = 10 * time.Second
	// IdempotencyLease is how long a claim holds before another request may
	// take it over: a claim older than this belongs to a crashed process.
	IdempotencyLease = 10 * time.Second
)

var (
	// ErrIdempotencyInProgress is returned by Begin while another request
	// holds the key; the caller may wait and call Begin again.
	ErrIdempotencyInProgress = errors.New("idempotency key in progress")

	// ErrIdempotencyTakenOver is what Complete returns when the claim passed
	// to another request because this one outlived its lease.
	ErrIdempotencyTakenOver error = ParamErrorf(ECONFLICT, "Idempotency-Key", "This Idempotency-Key was taken over by another request after this one ran too long.")
)

// StoredResponse is a response kept for replay.
type StoredResponse struct {
	Status    int
	Body      []byte
	RequestID string
}

// IdempotencyClaim is the right of one request to do the work for a key.
type IdempotencyClaim struct {
	AccountID   string
	Key         string
	Token       string
	Fingerprint string
	RequestID   string
}

// IdempotencyService keeps idempotency records. Records live in the same
// store as the objects so that the work and its record commit together.
type IdempotencyService interface {
	// Begin claims key for the request. It returns either a claim, or the
	// stored response of a finished request with the same fingerprint.
	// An engine may hand out a claim that writes nothing yet (SQLite: the
	// claim commits with the work, and Begin reads no record), so a
	// duplicate, even of a finished request, may get one; Complete then
	// decides.
	// Begin waits at most IdempotencyWait on the store (a row lock), however
	// long ctx lasts.
	// Errors: ECONFLICT (another fingerprint), ErrIdempotencyInProgress,
	// EINTERNAL.
	Begin(ctx context.Context, accountID, key, fingerprint, requestID string) (*IdempotencyClaim, *StoredResponse, error)

	// Complete runs fn in one transaction, which the context passed to fn
	// carries to every service call made with it. When fn returns a response
	// below 500, it is stored with the claim and both commit; otherwise the
	// transaction rolls back and the claim is released. When a duplicate
	// finished first, Complete returns its response with replayed set and
	// does not run fn.
	// Errors: ECONFLICT (the claim was taken over, a duplicate with
	// another fingerprint finished first, or, on SQLite, an older server
	// version's live claim holds the key), fn's error, EINTERNAL.
	Complete(ctx context.Context, c *IdempotencyClaim, fn func(ctx context.Context) (*StoredResponse, error)) (resp *StoredResponse, replayed bool, err error)

	// Extend renews a live claim's lease, so that a request still running
	// is not taken for crashed. Errors: EINTERNAL.
	Extend(ctx context.Context, c *IdempotencyClaim) error

	// PurgeIdempotencyRecords deletes records created before t.
	// Errors: EINTERNAL.
	PurgeIdempotencyRecords(ctx context.Context, before time.Time) (int64, error)
}

// IdempotencyRecord is a stored, unexpired key as an engine reads it.
type IdempotencyRecord struct {
	Fingerprint string
	RequestID   string
	// Finished is set once the response is stored in Status and Body.
	Finished bool
	Status   int
	Body     []byte
	// Stale is set when the holder's lease ran out: it crashed.
	Stale bool
}

// Resolve decides what a request with fingerprint gets from the record: the
// stored response, ECONFLICT for another fingerprint, ErrIdempotencyInProgress
// while the holder's lease runs, or nothing when the claim may be taken over.
func (r *IdempotencyRecord) Resolve(fingerprint string) (*StoredResponse, error) {
	switch {
	case r.Fingerprint != fingerprint:
		return nil, ParamErrorf(ECONFLICT, "Idempotency-Key", "This Idempotency-Key was already used with a different request.")
	case r.Finished:
		return &StoredResponse{Status: r.Status, Body: r.Body, RequestID: r.RequestID}, nil
	case !r.Stale:
		return nil, ErrIdempotencyInProgress
	}
	return nil, nil
}

// NewIdempotencyClaim returns a claim with a fresh token.
func NewIdempotencyClaim(accountID, key, fingerprint, requestID string) *IdempotencyClaim {
	return &IdempotencyClaim{AccountID: accountID, Key: key, Token: RandomBase62(20), Fingerprint: fingerprint, RequestID: requestID}
}

// ErrRollback is returned inside an engine's transaction to undo its writes
// without failing the call.
var ErrRollback = errors.New("rollback")

// RunIdempotentWork is the part of Complete that engines share, run inside
// the transaction: it runs fn and keeps its response with store. A 5xx is
// not kept, as a retry must run the work again: the result is then
// ErrRollback, on which the engine rolls back and answers with resp.
func RunIdempotentWork(ctx context.Context, fn func(ctx context.Context) (*StoredResponse, error), store func(resp *StoredResponse) error) (*StoredResponse, error) {
	resp, err := fn(ctx)
	if err != nil {
		return nil, err
	}
	if resp.Status >= 500 {
		return resp, ErrRollback
	}
	return resp, store(resp)
}
