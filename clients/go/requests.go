package docsapi

import (
	"context"
	"iter"
	"net/url"
	"time"
)

// RequestLog is the log entry of one authenticated request. Find the one
// behind an error with Requests.Retrieve(ctx, err.RequestID).
type RequestLog struct {
	lastResponse
	ID     string `json:"id"`
	Object string `json:"object"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	// ErrorCode is nil for a success.
	ErrorCode          *string   `json:"error_code"`
	APIKeyID           string    `json:"api_key_id"`
	IdempotencyKey     *string   `json:"idempotency_key"`
	IdempotentReplayed bool      `json:"idempotent_replayed"`
	DurationMS         float64   `json:"duration_ms"`
	CreatedAt          time.Time `json:"created_at"`

	// Added in API v1.4.1; empty from an older server.

	// Error is the error the request got, nil for a success.
	Error *RequestLogError `json:"error"`
	// IP is the client's address as the server saw it.
	IP string `json:"ip"`
	// UserAgent is the request's User-Agent header.
	UserAgent string `json:"user_agent"`
	// Source is "api" or "dashboard".
	Source string `json:"source"`
}

// RequestLogError is the error object a logged request got, without its
// request id (the entry's ID).
type RequestLogError struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Param is empty when no single parameter was to blame.
	Param string `json:"param"`
}

// RequestListParams selects one page of the request log.
type RequestListParams struct {
	ListParams
	// Status keeps only some entries: a class such as "4xx" or "5xx", a
	// status such as "404", or an error code such as "parameter_missing".
	// Empty keeps all.
	Status string
}

func (p *RequestListParams) listParams() *ListParams {
	if p == nil {
		return nil
	}
	return &p.ListParams
}

// RequestsService is reached as Client.Requests.
type RequestsService struct{ c *Client }

// Retrieve reads the log entry with the given id (a request id).
func (s *RequestsService) Retrieve(ctx context.Context, id string, opts ...RequestOption) (*RequestLog, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var r RequestLog
	if err := s.c.do(ctx, "GET", "/v1/requests/"+url.PathEscape(id), nil, nil, &r, opts); err != nil {
		return nil, err
	}
	return &r, nil
}

// List reads one page of the request log, newest first. params may be nil.
func (s *RequestsService) List(ctx context.Context, params *RequestListParams, opts ...RequestOption) (*List[RequestLog], error) {
	q := params.listParams().query()
	if params != nil && params.Status != "" {
		q.Set("status", params.Status)
	}
	var l List[RequestLog]
	if err := s.c.do(ctx, "GET", "/v1/requests", q, nil, &l, opts); err != nil {
		return nil, err
	}
	return &l, nil
}

// All yields every log entry from params on, reading page after page as the
// loop goes. An error ends the loop.
func (s *RequestsService) All(ctx context.Context, params *RequestListParams, opts ...RequestOption) iter.Seq2[*RequestLog, error] {
	status := ""
	if params != nil {
		status = params.Status
	}
	fetch := func(ctx context.Context, p *ListParams) (*List[RequestLog], error) {
		return s.List(ctx, &RequestListParams{ListParams: *p, Status: status}, opts...)
	}
	return all(ctx, params.listParams(), fetch, func(r *RequestLog) string { return r.ID })
}
