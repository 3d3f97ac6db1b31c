package docsapi

import (
	"context"
	"log/slog"
	"time"
)

// DefaultRequestLogRetention is how long request-log entries are kept.
const DefaultRequestLogRetention = 30 * 24 * time.Hour

// RunPurges deletes expired idempotency records, request-log entries and
// Dashboard sessions every interval until ctx ends.
func RunPurges(ctx context.Context, svc Services, retention, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		now := time.Now()
		purges := []struct {
			what   string
			purge  func(context.Context, time.Time) (int64, error)
			before time.Time
		}{
			{"idempotency records", svc.Idempotency.PurgeIdempotencyRecords, now.Add(-IdempotencyTTL)},
			{"request logs", svc.RequestLogs.PurgeRequestLogs, now.Add(-retention)},
			// A session idle that long is no longer live; its row only waits.
			{"sessions", svc.Sessions.PurgeSessions, now.Add(-SessionIdleTimeout)},
		}
		for _, p := range purges {
			if n, err := p.purge(ctx, p.before); err != nil && ctx.Err() != nil {
				return // shutting down: a purge stops between two batches
			} else if err != nil {
				logger.Error("purge "+p.what, slog.String("error", err.Error()))
			} else if n > 0 {
				logger.Info("purged "+p.what, slog.Int64("count", n))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PurgeInBatches calls batch, which deletes at most size rows in a
// statement or commit of its own and returns how many, until fewer go, and
// returns how many went in all. Engines purge in batches so that no
// statement holds a writer, or outlasts a statement timeout, however large
// the backlog; a purge ends between two batches when ctx does.
func PurgeInBatches(ctx context.Context, size int, batch func(ctx context.Context) (int64, error)) (int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := batch(ctx)
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(size) {
			return total, nil
		}
	}
}
