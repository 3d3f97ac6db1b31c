package sqlite

import (
	"context"
	"time"

	"github.com/docsapi/docsapi"
)

// purgeBatch is how many rows one purge statement deletes. A purge is a
// statement of the committer like any write, and every other write waits
// for it: deleting 300,000 request-log entries at once held them all for
// 3.5 s. In batches, each commit holds the writer for milliseconds, and a
// purge ends between two of them when its context does (shutdown).
var purgeBatch = 500

// purgeBefore purges with query, a DELETE of at most purgeBatch rows
// (its second argument) dated before its first.
func (db *DB) purgeBefore(ctx context.Context, query string, before time.Time) (int64, error) {
	return docsapi.PurgeInBatches(ctx, purgeBatch, func(ctx context.Context) (int64, error) {
		res, err := db.writer(ctx).ExecContext(ctx, query, micros(before), purgeBatch)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
}
