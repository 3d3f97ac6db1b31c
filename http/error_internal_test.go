package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
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

// TestRenderErrorLogsWhatItJoins: an answered error joined with a second
// failure shows only the answer, and the log gets the second failure.
func TestRenderErrorLogsWhatItJoins(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		status int
		logged bool
	}{
		{"an answer alone", docsapi.Errorf(docsapi.ECONFLICT, "taken"), 409, false},
		{"an answer wrapped", fmt.Errorf("complete: %w", docsapi.Errorf(docsapi.ECONFLICT, "taken")), 409, false},
		{"an answer and a failed release", errors.Join(docsapi.Errorf(docsapi.ECONFLICT, "taken"), errors.New("release idempotency key: boom")), 409, true},
		{"a wrapped join", fmt.Errorf("complete: %w", errors.Join(docsapi.Errorf(docsapi.ECONFLICT, "taken"), errors.New("release idempotency key: boom"))), 409, true},
		{"a rollback and a failed release", errors.Join(docsapi.ErrRollback, errors.New("release idempotency key: boom")), 500, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := NewServer()
			s.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			r := httptest.NewRequest("POST", "/v1/resources", nil)
			r = r.WithContext(context.WithValue(r.Context(), stateKey{}, &state{id: docsapi.NewRequestID()}))
			status, body := s.renderError(r, tt.err)
			if status != tt.status || strings.Contains(string(body), "boom") {
				t.Errorf("answer %d %s, want %d without the release's failure", status, body, tt.status)
			}
			if got := strings.Contains(logs.String(), "boom"); got != tt.logged {
				t.Errorf("log has the release's failure: %v, want %v: %s", got, tt.logged, logs.String())
			}
		})
	}
}
