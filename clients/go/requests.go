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
}

// RequestListParams selects one page of the request log.
type RequestListParams struct {
	ListParams
	// Status keeps only entries with this status: "4xx", "5xx" or a code
	// such as "404". Empty keeps all.
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
	if id == "" {
		return nil, errEmptyID
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
