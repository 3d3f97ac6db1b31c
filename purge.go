package docsapi

import (
	"context"
	"log/slog"
	"time"
)

// DefaultRequestLogRetention is how long request-log entries are kept.
const DefaultRequestLogRetention = 30 * 24 * time.Hour

// RunPurges deletes expired idempotency records and request-log entries
// every interval until ctx ends.
func RunPurges(ctx context.Context, idem IdempotencyService, logs RequestLogService, retention, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		now := time.Now()
		if n, err := idem.PurgeIdempotencyRecords(ctx, now.Add(-IdempotencyTTL)); err != nil {
			logger.Error("purge idempotency records", slog.String("error", err.Error()))
		} else if n > 0 {
			logger.Info("purged idempotency records", slog.Int64("count", n))
		}
		if n, err := logs.PurgeRequestLogs(ctx, now.Add(-retention)); err != nil {
			logger.Error("purge request logs", slog.String("error", err.Error()))
		} else if n > 0 {
			logger.Info("purged request logs", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
