package sqlite

import (
	"context"
	"time"
)

// purgeBatch is how many rows one purge statement deletes. A purge is a
// statement of the committer like any write, and every other write waits
// for it: deleting 300,000 request-log entries at once held them all for
// 3.5 s. In batches, each commit holds the writer for milliseconds, and a
// purge ends between two of them when its context does (shutdown).
var purgeBatch = 500

// purgeInBatches runs query, a DELETE of at most purgeBatch rows created
// before the time it takes as its only argument, until fewer rows go, and
// returns how many went in all.
func (db *DB) purgeInBatches(ctx context.Context, query string, before time.Time) (int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res, err := db.writer(ctx).ExecContext(ctx, query, micros(before), purgeBatch)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < int64(purgeBatch) {
			return total, nil
		}
	}
}
