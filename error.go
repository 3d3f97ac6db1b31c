// Package docsapi holds the domain types of Docs API, its error type and the
// service interfaces that the storage packages implement.
package docsapi

import (
	"errors"
	"fmt"
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

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ParamErrorf returns an *Error that blames one parameter.
func ParamErrorf(code, param, format string, args ...any) *Error {
	return &Error{Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
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
