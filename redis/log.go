package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis's own messages (failed dials, pool errors),
// which it otherwise prints as plain text on standard error, to logger as
// warnings, so that the JSON log stays JSON. go-redis has one logger per
// process.
func SetLogger(logger *slog.Logger) {
	goredis.SetLogger(&slogLogger{l: logger, last: map[string]time.Time{}})
}

// repeatEvery is how often one kind of go-redis message is logged: while
// Redis is down, it reports a failed dial on every request.
const repeatEvery = 10 * time.Second

type slogLogger struct {
	l    *slog.Logger
	mu   sync.Mutex
	last map[string]time.Time // by format string, a small fixed set
}

func (s *slogLogger) Printf(ctx context.Context, format string, v ...any) {
	now := time.Now()
	s.mu.Lock()
	if now.Sub(s.last[format]) < repeatEvery {
		s.mu.Unlock()
		return
	}
	s.last[format] = now
	s.mu.Unlock()
	s.l.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), slog.String("component", "go-redis"))
}
