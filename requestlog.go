package docsapi

import (
	"context"
	"errors"
	"math"
	"slices"
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

// MaxLoggedPathBytes bounds the path kept in the log, in bytes: no path of
// the API comes near it, headers may hold 64 KiB of one, and PostgreSQL
// refuses an index row over 2,704 bytes, which the path's index would
// exceed with 2,048 two-byte characters and then fail the log's writes.
const MaxLoggedPathBytes = 1024

// LoggablePath is the request path as the log keeps it: LoggableText, cut
// to MaxLoggedPathBytes at a character's start.
func LoggablePath(p string) string {
	p = LoggableText(p, 0)
	if len(p) <= MaxLoggedPathBytes {
		return p
	}
	cut := MaxLoggedPathBytes
	for !utf8.RuneStart(p[cut]) {
		cut--
	}
	return p[:cut]
}

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
	Route       string // exact match on the route pattern, e.g. "GET /v1/resources/{id}"
	APIKeyID    string
	Source      string // SourceAPI or SourceDashboard
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

// ErrEntryRefused marks the failure of a request-log batch that the store
// refused for an entry's content (a value over one of its limits): writing
// the entries again one by one then finds the bad one, where a store that
// fails refuses them all.
var ErrEntryRefused = errors.New("request log: the store refused an entry")

// RequestLogService stores and reads the request log.
type RequestLogService interface {
	// CreateRequestLogs stores a batch of entries in one transaction.
	// Entries become visible in the order of their batches, so that a tail
	// reading past its last entry misses none. Errors: EINTERNAL, which
	// wraps ErrEntryRefused when an entry's content was refused.
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

// RequestLogCursor is where an entry stands in the orders of the log: the
// listing cursor and the tail's after name an entry, and a page reads from
// its place on.
type RequestLogCursor struct {
	CreatedAt time.Time
	Seq       int64 // its place in storage order
}

// RequestLogOrder is an order in which a RequestLogStore reads entries.
type RequestLogOrder struct {
	// ByTime orders by created_at, then seq, rather than by seq alone.
	ByTime bool
	// OldestFirst reads the order ascending; otherwise newest first.
	OldestFirst bool
}

// RequestLogStore is the SQL an engine runs for the RequestLogService that
// NewRequestLogService builds around it.
type RequestLogStore interface {
	// InsertRequestLogs stores a batch of entries in one transaction, in
	// seq order of their batches (see CreateRequestLogs). Errors: EINTERNAL,
	// wrapping ErrEntryRefused as CreateRequestLogs says.
	InsertRequestLogs(ctx context.Context, logs []*RequestLog) error

	// FindRequestLog returns one of the account's entries, or nil.
	// Errors: EINTERNAL.
	FindRequestLog(ctx context.Context, accountID, id string) (*RequestLog, error)

	// FindRequestLogCursor returns where the account's entry with that id
	// stands, or nil when it has none. Errors: EINTERNAL.
	FindRequestLogCursor(ctx context.Context, accountID, id string) (*RequestLogCursor, error)

	// ListRequestLogs returns up to limit of the account's entries that
	// match f, read in order o, and only those past after in it when after
	// is not nil. Errors: EINTERNAL.
	ListRequestLogs(ctx context.Context, accountID string, f RequestLogFilter, o RequestLogOrder, after *RequestLogCursor, limit int) ([]*RequestLog, error)

	// RequestLogTimeline returns the account's requests counted per bucket,
	// one bucket of that width at each of starts (from TimelineBuckets),
	// counting none from until on. Errors: EINTERNAL.
	RequestLogTimeline(ctx context.Context, accountID string, starts []time.Time, until time.Time, bucket time.Duration) ([]RequestLogBucket, error)

	// FindErrorGroups is RequestLogService.FindErrorGroups.
	// Errors: EINTERNAL.
	FindErrorGroups(ctx context.Context, accountID string, since time.Time, limit int) ([]*ErrorGroup, error)

	// FindKeyUsage is RequestLogService.FindKeyUsage. Errors: EINTERNAL.
	FindKeyUsage(ctx context.Context, accountID string, since time.Time) ([]*KeyUsage, error)

	// PurgeRequestLogs is RequestLogService.PurgeRequestLogs.
	// Errors: EINTERNAL.
	PurgeRequestLogs(ctx context.Context, before time.Time) (int64, error)
}

// NewRequestLogService returns the RequestLogService over an engine's store.
func NewRequestLogService(st RequestLogStore) RequestLogService { return requestLogService{st} }

type requestLogService struct{ st RequestLogStore }

func (s requestLogService) CreateRequestLogs(ctx context.Context, logs []*RequestLog) error {
	return s.st.InsertRequestLogs(ctx, logs)
}

func (s requestLogService) FindRequestLogByID(ctx context.Context, accountID, id string) (*RequestLog, error) {
	l, err := s.st.FindRequestLog(ctx, accountID, id)
	if err == nil && l == nil {
		return nil, NotFound("request", id)
	}
	return l, err
}

// FindRequestLogs orders a time-bounded listing by created_at: the
// created_at index then reads the window from its newest end, where
// ordering by seq would read it whole, or everything newer than it.
func (s requestLogService) FindRequestLogs(ctx context.Context, accountID string, f RequestLogFilter, p ListParams) ([]*RequestLog, bool, error) {
	id, param, backwards := p.Cursor()
	after, err := s.findCursor(ctx, accountID, param, id)
	if err != nil {
		return nil, false, err
	}
	o := RequestLogOrder{ByTime: f.TimeBounded(), OldestFirst: backwards}
	// One more than the page tells whether another page follows.
	items, err := s.st.ListRequestLogs(ctx, accountID, f, o, after, p.Limit+1)
	if err != nil {
		return nil, false, err
	}
	items, more := FinishPage(items, p)
	return items, more, nil
}

// TailRequestLogs reads in seq order, which is commit order (see
// CreateRequestLogs), so that a tail past one entry misses none.
func (s requestLogService) TailRequestLogs(ctx context.Context, accountID string, f RequestLogFilter, after string, limit int) ([]*RequestLog, error) {
	c, err := s.findCursor(ctx, accountID, "after", after)
	if err != nil {
		return nil, err
	}
	if c != nil {
		return s.st.ListRequestLogs(ctx, accountID, f, RequestLogOrder{OldestFirst: true}, c, limit)
	}
	items, err := s.st.ListRequestLogs(ctx, accountID, f, RequestLogOrder{}, nil, limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(items)
	return items, nil
}

// findCursor returns where the account's entry id stands, nil for no id;
// param names the parameter that gave it.
// Errors: EPARAMINVALID (no such entry), EINTERNAL.
func (s requestLogService) findCursor(ctx context.Context, accountID, param, id string) (*RequestLogCursor, error) {
	if id == "" {
		return nil, nil
	}
	c, err := s.st.FindRequestLogCursor(ctx, accountID, id)
	if err == nil && c == nil {
		return nil, CursorNotFound(param, id)
	}
	return c, err
}

func (s requestLogService) RequestLogTimeline(ctx context.Context, accountID string, since, until time.Time, bucket time.Duration) ([]RequestLogBucket, error) {
	starts, err := TimelineBuckets(since, until, bucket)
	if err != nil {
		return nil, err
	}
	return s.st.RequestLogTimeline(ctx, accountID, starts, until, bucket)
}

func (s requestLogService) FindErrorGroups(ctx context.Context, accountID string, since time.Time, limit int) ([]*ErrorGroup, error) {
	return s.st.FindErrorGroups(ctx, accountID, since, limit)
}

func (s requestLogService) FindKeyUsage(ctx context.Context, accountID string, since time.Time) ([]*KeyUsage, error) {
	return s.st.FindKeyUsage(ctx, accountID, since)
}

func (s requestLogService) PurgeRequestLogs(ctx context.Context, before time.Time) (int64, error) {
	return s.st.PurgeRequestLogs(ctx, before)
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
