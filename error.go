// Package docsapi holds the domain types of Docs API, its error type and the
// service interfaces that the storage packages implement.
package docsapi

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Error codes, as listed in the contract's error table.
const (
	EPARAMMISSING = "parameter_missing"
	EPARAMINVALID = "parameter_invalid"
	ENOTFOUND     = "resource_missing"
	EUNAUTHORIZED = "authentication_failed"
	EFORBIDDEN    = "permission_denied"
	ECONFLICT     = "idempotency_conflict"
	ERATELIMITED  = "rate_limit_exceeded"
	EINTERNAL     = "api_error"
)

// Error is an error meant for the API's caller. Anything that is not an
// *Error reaches the caller only as an api_error.
type Error struct {
	Code    string
	Message string
	Param   string
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("docsapi error: code=%s param=%s message=%s", e.Code, e.Param, e.Message)
	}
	return fmt.Sprintf("docsapi error: code=%s message=%s", e.Code, e.Message)
}

// MaxQuotedLen bounds, in characters, what an error quotes of the request:
// each string argument of its message, and its param. An id, a name or a
// value of any length would otherwise come back whole, and be kept in the
// request log: a 60,000-character path id made a 60 KB message.
const MaxQuotedLen = 100

// Errorf returns an *Error with a formatted message; string arguments
// longer than MaxQuotedLen are cut (Clip).
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, clipStrings(args)...)}
}

// ParamErrorf returns an *Error that blames one parameter; param and string
// arguments longer than MaxQuotedLen are cut (Clip).
func ParamErrorf(code, param, format string, args ...any) *Error {
	return &Error{Code: code, Param: Clip(param), Message: fmt.Sprintf(format, clipStrings(args)...)}
}

// Clip returns s cut to MaxQuotedLen characters, ending in "…" when cut.
func Clip(s string) string {
	if len(s) <= MaxQuotedLen || utf8.RuneCountInString(s) <= MaxQuotedLen {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxQuotedLen-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// clipStrings returns args with its long strings clipped, copied only then.
func clipStrings(args []any) []any {
	var out []any
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > MaxQuotedLen {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = Clip(s)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// ErrorCode returns the code of err, or EINTERNAL when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// NotFound is the error for an id that names no object of the account;
// kind is what the caller asked for, e.g. "resource" or "API key".
func NotFound(kind, id string) error {
	return ParamErrorf(ENOTFOUND, "id", "No such %s: '%s'.", kind, id)
}
