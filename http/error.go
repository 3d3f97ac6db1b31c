package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/docsapi/docsapi"
)

// ErrorClass is the HTTP status and error type that one code maps to.
type ErrorClass struct {
	Status int
	Type   string
}

// ErrorClasses is the one table from error code to HTTP status and type,
// the contract's error table; the docs pages are generated from it.
var ErrorClasses = map[string]ErrorClass{
	docsapi.EPARAMMISSING: {400, "invalid_request_error"},
	docsapi.EPARAMINVALID: {400, "invalid_request_error"},
	docsapi.ENOTFOUND:     {404, "invalid_request_error"},
	docsapi.EUNAUTHORIZED: {401, "authentication_error"},
	docsapi.EFORBIDDEN:    {403, "permission_error"},
	docsapi.ECONFLICT:     {409, "idempotency_error"},
	docsapi.ERATELIMITED:  {429, "rate_limit_error"},
	docsapi.EINTERNAL:     {500, "api_error"},
}

// errorClass returns the class of code; an unknown code is an api_error.
func errorClass(code string) ErrorClass {
	if c, ok := ErrorClasses[code]; ok {
		return c
	}
	return ErrorClasses[docsapi.EINTERNAL]
}

// errorType returns the type of a request-log entry's error code, "" for a
// success.
func errorType(code string) string {
	if code == "" {
		return ""
	}
	return errorClass(code).Type
}

type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Type      string `json:"type"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Param     string `json:"param,omitempty"`
	RequestID string `json:"request_id"`
	DocURL    string `json:"doc_url"`
}

// joinsOthers reports whether err, or an error it wraps, joins several.
func joinsOthers(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 1 {
			return true
		}
	}
	return false
}

// renderError turns err into the status and body of an error response.
// Anything that is not a *docsapi.Error is logged and becomes an api_error,
// so no driver message, path or secret reaches the caller.
func (s *Server) renderError(r *http.Request, err error) (int, []byte) {
	st := stateFrom(r.Context())
	var e *docsapi.Error
	if !errors.As(err, &e) {
		if r.Context().Err() != nil {
			s.logger(r.Context()).Info("client closed the request", slog.String("error", err.Error()))
		} else {
			s.logger(r.Context()).Error("internal error", slog.String("error", err.Error()))
		}
		e = docsapi.Errorf(docsapi.EINTERNAL, "An unexpected error occurred on our side; support can trace it with the request_id.")
	} else if joinsOthers(err) {
		// An answer with a failure beside it (a claim that could not be
		// released): the caller sees the answer, the log the rest.
		s.logger(r.Context()).Error("internal error beside the answer", slog.String("error", err.Error()))
	}
	st.apiErr = e
	status, body := s.errorJSON(st.id, e)
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	return status, body
}

// errorJSON returns the status and body of e, answered as request id.
func (s *Server) errorJSON(id string, e *docsapi.Error) (int, []byte) {
	class := errorClass(e.Code)
	body, _ := json.Marshal(errorBody{Error: errorObject{
		Type: class.Type, Code: e.Code, Message: e.Message, Param: e.Param, RequestID: id,
		DocURL: s.DocURL(e.Code),
	}})
	return class.Status, append(body, '\n')
}

// DocURL returns the link to code's section of the errors page: absolute
// under PublicURL when that is set, else a path on this server.
func (s *Server) DocURL(code string) string {
	return strings.TrimSuffix(s.PublicURL, "/") + "/docs/errors#" + code
}

// statusError is an error answered with the status that HTTP prescribes for
// it (431, 501, 505) rather than its code's; the body is the same.
type statusError struct {
	err    *docsapi.Error
	status int
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// Error writes err as the contract's error object. It is the one place where
// errors become responses.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	setRetryAfter(w, err)
	status, body := s.renderError(r, err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Docs API"`)
	}
	writeBody(w, status, body)
}

// writeBody writes a JSON answer. No cache, shared or private, may keep it:
// it is an account's data, or once a new key's secret.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	// Shared values, never appended to: Set would allocate each.
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	w.Write(body)
}

var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// writeJSON writes v with status, as marshal would encode it.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	e := jsonEncoders.Get().(*jsonEncoder)
	defer e.release()
	if err := e.enc.Encode(v); err != nil {
		s.Error(w, r, err)
		return
	}
	writeBody(w, status, e.buf.Bytes())
}

// jsonEncoder is a pooled encoder and its buffer: a response body then
// costs no buffer of its own, the ResponseWriter copying what it is given.
// Encode writes what marshal returns: the same escaping, and a newline.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// maxPooledJSON bounds the buffers kept for reuse, so that one large list
// does not hold its memory for good.
const maxPooledJSON = 64 << 10

func (e *jsonEncoder) release() {
	if e.buf.Cap() > maxPooledJSON {
		return
	}
	e.buf.Reset()
	jsonEncoders.Put(e)
}

func marshal(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(body, '\n'), nil
}
