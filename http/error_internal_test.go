package http

import (
	"testing"

	"github.com/docsapi/docsapi"
)

// TestErrorType: a request-log entry shows its code's type; a success has
// none, and a code the table lacks is an api_error, as it was answered.
func TestErrorType(t *testing.T) {
	for _, tt := range []struct{ code, want string }{
		{"", ""},
		{docsapi.EPARAMMISSING, "invalid_request_error"},
		{docsapi.ERATELIMITED, "rate_limit_error"},
		{"no_such_code", "api_error"},
	} {
		if got := errorType(tt.code); got != tt.want {
			t.Errorf("errorType(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}
