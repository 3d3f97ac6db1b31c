package docsapi

import (
	"context"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Sources of a request-log entry: the API itself, or a page of the
// Dashboard acting with the signed-in key.
const (
	SourceAPI       = "api"
	SourceDashboard = "dashboard"
)

// MaxUserAgentLen bounds the User-Agent kept in the log, in characters.
const MaxUserAgentLen = 512

// RequestLog is the record of one authenticated request, kept so that support
// can trace a request_id that a user reports.
type RequestLog struct {
	ID        string
	AccountID string
	Method    string
	Path      string
	// Route is the pattern the request matched, e.g. "GET /v1/resources/{id}",
	// so that errors group by endpoint rather than by object id.
	Route  string
	Status int
	// ErrorCode, ErrorMessage and ErrorParam are the error object as
	// returned; all empty for a success.
	ErrorCode          string
	ErrorMessage       string
	ErrorParam         string
	APIKeyID           string
	IdempotencyKey     string
	IdempotentReplayed bool
	Duration           time.Duration
	IP                 string
	UserAgent          string
	Source             string // SourceAPI or SourceDashboard
	CreatedAt          time.Time
}

// LoggableText makes client-supplied text storable on every engine: valid
// UTF-8 without NUL (which PostgreSQL refuses), at most max characters
// (no limit when max is 0).
func LoggableText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if max > 0 && utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

// RequestLogFilter narrows a request log listing. Zero fields match all.
type RequestLogFilter struct {
	// Status is one HTTP status; StatusClass its first digit (4 for 4xx).
	Status      int
	StatusClass int
	ErrorCode   string
	Method      string
	Path        string // exact match on the logged path
	APIKeyID    string
	// Since and Until bound created_at: Since <= created_at < Until. A
	// listing with either is ordered by created_at (then storage order),
	// which lets an index read the window from its newest end; without,
	// by storage order alone. The two differ only among entries logged
	// within moments of each other.
	Since time.Time
	Until time.Time
}

// TimeBounded reports whether f bounds created_at.
func (f RequestLogFilter) TimeBounded() bool { return !f.Since.IsZero() || !f.Until.IsZero() }

// RequestLogBucket is one interval of the request timeline.
type RequestLogBucket struct {
	Start time.Time
	// Counts by outcome: 2xx (and other non-errors), 4xx other than 429,
	// 429, and 5xx.
	Success     int
	ClientError int
	RateLimited int
	ServerError int
	// P50 and P99 are latency percentiles of all the bucket's requests,
	// zero when it has none.
	P50 time.Duration
	P99 time.Duration
}

// Total returns how many requests the bucket holds.
func (b RequestLogBucket) Total() int {
	return b.Success + b.ClientError + b.RateLimited + b.ServerError
}

// MaxTimelineBuckets bounds the buckets one timeline query may ask for.
const MaxTimelineBuckets = 1440

// TimelineBuckets validates a timeline query and returns the start of
// every bucket: bucket-aligned (on the Unix epoch), from the one holding
// since to the one holding the instant before until.
// Errors: EPARAMINVALID.
func TimelineBuckets(since, until time.Time, bucket time.Duration) ([]time.Time, error) {
	if bucket < time.Second || bucket%time.Second != 0 {
		return nil, Errorf(EPARAMINVALID, "The bucket must be a whole number of seconds.")
	}
	if !until.After(since) {
		return nil, Errorf(EPARAMINVALID, "The end of a timeline must come after its start.")
	}
	first := since.Truncate(bucket)
	n := int((until.Sub(first) + bucket - 1) / bucket)
	if n > MaxTimelineBuckets {
		return nil, Errorf(EPARAMINVALID, "A timeline may have at most %d buckets; this one has %d.", MaxTimelineBuckets, n)
	}
	out := make([]time.Time, n)
	for i := range out {
		out[i] = first.Add(time.Duration(i) * bucket).UTC()
	}
	return out, nil
}

// ErrorGroup is the failures of one error code on one route.
type ErrorGroup struct {
	ErrorCode string
	Route     string
	Count     int
	FirstSeen time.Time
	LastSeen  time.Time
	// ExampleIDs are the ids of the group's newest entries, newest first.
	ExampleIDs []string
}

// ErrorGroupExamples is how many example request ids an ErrorGroup holds.
const ErrorGroupExamples = 3

// KeyUsage is one API key's traffic over a period.
type KeyUsage struct {
	APIKeyID    string
	Requests    int
	RateLimited int
}

// RequestLogService stores and reads the request log.
type RequestLogService interface {
	// CreateRequestLogs stores a batch of entries in one transaction.
	// Entries become visible in the order of their batches, so that a tail
	// reading past its last entry misses none. Errors: EINTERNAL.
	CreateRequestLogs(ctx context.Context, logs []*RequestLog) error

	// FindRequestLogByID returns one entry. Errors: ENOTFOUND, EINTERNAL.
	FindRequestLogByID(ctx context.Context, accountID, id string) (*RequestLog, error)

	// FindRequestLogs returns one page of entries, newest first, and whether
	// more follow in the direction of paging.
	// Errors: EPARAMINVALID (unknown cursor), EINTERNAL.
	FindRequestLogs(ctx context.Context, accountID string, f RequestLogFilter, p ListParams) ([]*RequestLog, bool, error)

	// TailRequestLogs returns up to limit entries matching f that were
	// stored after the entry with id after, oldest first; the last one is
	// the next call's cursor. With after empty it returns the newest limit
	// entries, oldest first. It reads the shared store, so it sees the
	// entries of every instance, each once its batch is written (the
	// request logger writes every 50 ms).
	// Errors: EPARAMINVALID (after names no entry of the account), EINTERNAL.
	TailRequestLogs(ctx context.Context, accountID string, f RequestLogFilter, after string, limit int) ([]*RequestLog, error)

	// RequestLogTimeline returns the account's requests counted per bucket
	// from since to until, every bucket present (see TimelineBuckets), oldest
	// first. Errors: EPARAMINVALID (bad range or bucket), EINTERNAL.
	RequestLogTimeline(ctx context.Context, accountID string, since, until time.Time, bucket time.Duration) ([]RequestLogBucket, error)

	// FindErrorGroups returns the account's failures since then grouped by
	// error code and route, the most recently seen first, at most limit
	// groups. Errors: EINTERNAL.
	FindErrorGroups(ctx context.Context, accountID string, since time.Time, limit int) ([]*ErrorGroup, error)

	// FindKeyUsage returns, per API key with requests since then, how many
	// it made and how many of them were refused with 429, in no particular
	// order. Errors: EINTERNAL.
	FindKeyUsage(ctx context.Context, accountID string, since time.Time) ([]*KeyUsage, error)

	// PurgeRequestLogs deletes entries created before t and returns how many.
	// Errors: EINTERNAL.
	PurgeRequestLogs(ctx context.Context, before time.Time) (int64, error)
}

// Count adds one request of that status to the bucket.
func (b *RequestLogBucket) Count(status int) {
	switch {
	case status == 429:
		b.RateLimited++
	case status >= 500:
		b.ServerError++
	case status >= 400:
		b.ClientError++
	default:
		b.Success++
	}
}

// Percentile returns the p-quantile (0 to 1) of sorted durations,
// interpolated between the two nearest as PostgreSQL's percentile_cont does,
// so that both engines give the same numbers. It is 0 for no durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	pos := p * float64(len(sorted)-1)
	lo := int(pos)
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	lower, upper := float64(sorted[lo].Microseconds()), float64(sorted[lo+1].Microseconds())
	return MicrosDuration(lower + (upper-lower)*(pos-float64(lo)))
}

// MicrosDuration converts a (fractional) number of microseconds.
func MicrosDuration(us float64) time.Duration {
	return time.Duration(math.Round(us * float64(time.Microsecond)))
}
