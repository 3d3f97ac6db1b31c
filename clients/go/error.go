package docsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Error is what every failed call returns, wrapped in the typed error for its
// type: errors.As(err, &e) with e a *Error works for each of them, and so
// does errors.As with the typed error, such as *InvalidRequestError.
//
// Fields that the response did not carry are empty.
type Error struct {
	// Type is the error's type, such as "invalid_request_error".
	Type string
	// Code is the specific problem, such as "parameter_missing".
	Code string
	// Param names the parameter to blame, such as "name" or "metadata[color]".
	Param string
	// Message is one human sentence.
	Message string
	// RequestID identifies the request for support; log it.
	RequestID string
	// HTTPStatus is the response's status, 0 for a connection failure.
	HTTPStatus int
	// Header holds the response's headers, nil for a connection failure.
	Header http.Header
	// DocURL links to the documentation of Code, such as
	// "https://api.example.com/docs/errors#parameter_missing"; empty when the
	// server did not send one (servers before v1.4.1).
	DocURL string

	cause error
}

func (e *Error) Error() string {
	// The same form as the Python and TypeScript clients' (clients/testdata/errors.json).
	var details []string
	for _, d := range [][2]string{{"http_status", statusText(e.HTTPStatus)}, {"type", e.Type}, {"code", e.Code}, {"param", e.Param}, {"request_id", e.RequestID}} {
		if d[1] != "" {
			details = append(details, d[0]+"="+d[1])
		}
	}
	if e.cause != nil {
		details = append(details, "cause="+e.cause.Error())
	}
	s := "docsapi: " + e.Message
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	return s
}

// Unwrap returns the underlying cause, such as the network error of a
// ConnectionError, or nil.
func (e *Error) Unwrap() error { return e.cause }

func statusText(status int) string {
	if status == 0 {
		return ""
	}
	return fmt.Sprint(status)
}

// The typed errors share Error's fields; each unwraps to its *Error.
type (
	// InvalidRequestError means a parameter is missing or invalid, or no
	// object has that id (HTTP 400 and 404).
	InvalidRequestError Error
	// AuthenticationError means the API key is missing, malformed, unknown
	// or revoked (HTTP 401).
	AuthenticationError Error
	// PermissionError means the API key lacks the scope the endpoint needs
	// (HTTP 403).
	PermissionError Error
	// IdempotencyError means an Idempotency-Key was reused with a different
	// request, or its first request ran too long (HTTP 409).
	IdempotencyError Error
	// RateLimitError means the API key's rate limit is used up (HTTP 429)
	// and retries did not get through.
	RateLimitError Error
	// APIError means a server-side failure (HTTP 5xx), an error of a type
	// this library does not know, or a response it could not read.
	APIError Error
	// APIConnectionError means no response arrived (refused, reset, timed
	// out). It unwraps to *Error, whose Unwrap gives the network error.
	APIConnectionError Error
)

func (e *InvalidRequestError) Error() string { return (*Error)(e).Error() }
func (e *InvalidRequestError) Unwrap() error { return (*Error)(e) }
func (e *AuthenticationError) Error() string { return (*Error)(e).Error() }
func (e *AuthenticationError) Unwrap() error { return (*Error)(e) }
func (e *PermissionError) Error() string     { return (*Error)(e).Error() }
func (e *PermissionError) Unwrap() error     { return (*Error)(e) }
func (e *IdempotencyError) Error() string    { return (*Error)(e).Error() }
func (e *IdempotencyError) Unwrap() error    { return (*Error)(e) }
func (e *RateLimitError) Error() string      { return (*Error)(e).Error() }
func (e *RateLimitError) Unwrap() error      { return (*Error)(e) }
func (e *APIError) Error() string            { return (*Error)(e).Error() }
func (e *APIError) Unwrap() error            { return (*Error)(e) }
func (e *APIConnectionError) Error() string  { return (*Error)(e).Error() }
func (e *APIConnectionError) Unwrap() error  { return (*Error)(e) }

// typed wraps e in the typed error for its type; an unknown or missing type
// is an APIError with every field kept.
func typed(e *Error) error {
	switch e.Type {
	case "invalid_request_error":
		return (*InvalidRequestError)(e)
	case "authentication_error":
		return (*AuthenticationError)(e)
	case "permission_error":
		return (*PermissionError)(e)
	case "idempotency_error":
		return (*IdempotencyError)(e)
	case "rate_limit_error":
		return (*RateLimitError)(e)
	default:
		return (*APIError)(e)
	}
}

// parseError turns a non-2xx response into its typed error.
func parseError(status int, header http.Header, body []byte) error {
	// Each field is read on its own, as the other clients do, so that one
	// of an unexpected JSON type (a number for a code, say) is left empty
	// rather than losing the rest of the error.
	var envelope struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil || envelope.Error == nil {
		// A proxy's HTML page or some other body that is not ours.
		return unexpectedResponse(status, header, nil)
	}
	field := func(name string) string {
		s, _ := envelope.Error[name].(string)
		return s
	}
	e := &Error{
		Type:       field("type"),
		Code:       field("code"),
		Param:      field("param"),
		Message:    field("message"),
		RequestID:  field("request_id"),
		DocURL:     field("doc_url"),
		HTTPStatus: status,
		Header:     header,
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("Unexpected response from the API (HTTP %d).", status)
	}
	if e.RequestID == "" {
		e.RequestID = header.Get("Request-Id")
	}
	return typed(e)
}

// unexpectedResponse is the APIError for a response body this library cannot
// read; cause, if any, says why.
func unexpectedResponse(status int, header http.Header, cause error) error {
	return &APIError{
		Type:       "api_error",
		Message:    fmt.Sprintf("Unexpected response from the API (HTTP %d).", status),
		RequestID:  header.Get("Request-Id"),
		HTTPStatus: status,
		Header:     header,
		cause:      cause,
	}
}

// The messages of a connection failure, the same in every client
// (clients/testdata/connection_errors.json); the cause says more.
const (
	msgNoResponse = "Could not get a response from the API."
	msgTimeout    = "The API did not respond within the timeout."
)

func newConnectionError(cause error) error {
	msg := msgNoResponse
	var ne net.Error
	if errors.Is(cause, context.DeadlineExceeded) || errors.As(cause, &ne) && ne.Timeout() {
		msg = msgTimeout
	}
	return &APIConnectionError{Message: msg, cause: cause}
}

// localError is an error found before anything is sent; it has no status,
// headers or request id.
func localError(typ, code, param, message string) error {
	return typed(&Error{Type: typ, Code: code, Param: param, Message: message})
}

// checkID refuses an empty or blank object id, as the server refuses an
// empty required parameter, instead of requesting the list's URL.
func checkID(id string) error {
	if strings.TrimSpace(id) == "" {
		return localError("invalid_request_error", "parameter_missing", "id", "Missing required parameter: id.")
	}
	return nil
}
