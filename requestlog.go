package docsapi

import (
	"context"
	"time"
)

// RequestLog is the record of one authenticated request, kept so that support
// can trace a request_id that a user reports.
type RequestLog struct {
	ID                 string
	AccountID          string
	Method             string
	Path               string
	Status             int
	ErrorCode          string
	APIKeyID           string
	IdempotencyKey     string
	IdempotentReplayed bool
	Duration           time.Duration
	CreatedAt          time.Time
}

// RequestLogFilter narrows a request log listing. Zero fields match all.
type RequestLogFilter struct {
	// Status is one HTTP status; StatusClass its first digit (4 for 4xx).
	Status      int
	StatusClass int
	ErrorCode   string
}

// RequestLogService stores and reads the request log.
type RequestLogService interface {
	// CreateRequestLogs stores a batch of entries in one transaction.
	// Errors: EINTERNAL.
	CreateRequestLogs(ctx context.Context, logs []*RequestLog) error

	// FindRequestLogByID returns one entry. Errors: ENOTFOUND, EINTERNAL.
	FindRequestLogByID(ctx context.Context, accountID, id string) (*RequestLog, error)

	// FindRequestLogs returns one page of entries, newest first, and whether
	// more follow in the direction of paging.
	// Errors: EPARAMINVALID (unknown cursor), EINTERNAL.
	FindRequestLogs(ctx context.Context, accountID string, f RequestLogFilter, p ListParams) ([]*RequestLog, bool, error)

	// PurgeRequestLogs deletes entries created before t and returns how many.
	// Errors: EINTERNAL.
	PurgeRequestLogs(ctx context.Context, before time.Time) (int64, error)
}
