package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis's own messages (failed dials, pool errors),
// which it otherwise prints as plain text on standard error, to logger as
// warnings, so that the JSON log stays JSON. go-redis has one logger per
// process.
func SetLogger(logger *slog.Logger) {
	goredis.SetLogger(slogLogger{logger})
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(ctx context.Context, format string, v ...any) {
	s.l.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), slog.String("component", "go-redis"))
}
