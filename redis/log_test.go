package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestSetLogger: go-redis's messages become JSON warnings, and a message
// repeated on every request is logged once per 10 s.
func TestSetLogger(t *testing.T) {
	var buf bytes.Buffer
	l := &slogLogger{l: slog.New(slog.NewJSONHandler(&buf, nil)), last: map[string]time.Time{}}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v\n", 1, "connection refused")
	}
	l.Printf(ctx, "redis: other %s", "message")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first struct{ Level, Msg, Component string }
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Level != "WARN" || first.Component != "go-redis" ||
		first.Msg != "redis: connection pool: failed to dial after 1 attempts: connection refused" {
		t.Errorf("%+v", first)
	}
}
