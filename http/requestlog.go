package http

import (
	"net/http"
	"regexp"
	"strconv"

	"github.com/docsapi/docsapi"
)

type requestLogJSON struct {
	ID                 string  `json:"id"`
	Object             string  `json:"object"`
	Method             string  `json:"method"`
	Path               string  `json:"path"`
	Status             int     `json:"status"`
	ErrorCode          *string `json:"error_code"`
	APIKeyID           string  `json:"api_key_id"`
	IdempotencyKey     *string `json:"idempotency_key"`
	IdempotentReplayed bool    `json:"idempotent_replayed"`
	DurationMS         float64 `json:"duration_ms"`
	CreatedAt          string  `json:"created_at"`
	// Added in v1.4.1.
	Error     *requestLogErrorJSON `json:"error"`
	IP        *string              `json:"ip"`
	UserAgent *string              `json:"user_agent"`
	Source    string               `json:"source"`
}

// requestLogErrorJSON is the error object as returned, without request_id
// (the entry's own id) and doc_url.
type requestLogErrorJSON struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func newRequestLogJSON(l *docsapi.RequestLog) requestLogJSON {
	j := requestLogJSON{ID: l.ID, Object: "request", Method: l.Method, Path: l.Path, Status: l.Status,
		ErrorCode: optional(l.ErrorCode), APIKeyID: l.APIKeyID, IdempotencyKey: optional(l.IdempotencyKey),
		IdempotentReplayed: l.IdempotentReplayed, DurationMS: durationMS(l.Duration), CreatedAt: timeJSON(l.CreatedAt),
		IP: optional(l.IP), UserAgent: optional(l.UserAgent), Source: l.Source}
	if l.ErrorCode != "" {
		j.Error = &requestLogErrorJSON{Type: errorType(l.ErrorCode), Code: l.ErrorCode, Message: l.ErrorMessage, Param: l.ErrorParam}
	}
	return j
}

var (
	statusClass = regexp.MustCompile(`^[1-5]xx$`)
	statusCode  = regexp.MustCompile(`^[1-5][0-9][0-9]$`)
)

// parseStatusFilter reads ?status=: a class such as 4xx, a status such as
// 404, or an error code such as parameter_missing.
func parseStatusFilter(r *http.Request) (docsapi.RequestLogFilter, error) {
	var f docsapi.RequestLogFilter
	q := r.URL.Query()
	if !q.Has("status") {
		return f, nil
	}
	v := q.Get("status")
	switch {
	case statusClass.MatchString(v):
		f.StatusClass = int(v[0] - '0')
	case statusCode.MatchString(v):
		f.Status, _ = strconv.Atoi(v)
	default:
		if _, ok := ErrorClasses[v]; !ok {
			return f, docsapi.ParamErrorf(docsapi.EPARAMINVALID, "status", "Invalid status: use a class such as 4xx, a status such as 404, or an error code such as parameter_missing.")
		}
		f.ErrorCode = v
	}
	return f, nil
}

// handleGetRequestLog serves GET /v1/requests/{id}. It flushes the queued
// entries first, so that a caller finds the requests it just made.
func (s *Server) handleGetRequestLog(w http.ResponseWriter, r *http.Request) {
	s.log.Flush(r.Context())
	l, err := s.RequestLogService.FindRequestLogByID(r.Context(), stateFrom(r.Context()).key.AccountID, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newRequestLogJSON(l))
}

// handleListRequestLogs serves GET /v1/requests, flushed like
// handleGetRequestLog.
func (s *Server) handleListRequestLogs(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f, err := parseStatusFilter(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.log.Flush(r.Context())
	items, more, err := s.RequestLogService.FindRequestLogs(r.Context(), stateFrom(r.Context()).key.AccountID, f, p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(r, items, more, newRequestLogJSON))
}
