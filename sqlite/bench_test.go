package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/sqlite"
)

// BenchmarkCreateRequestLogs is the cost of storing request-log entries as
// the HTTP layer's writer does: batches of 500, one in fifty a 404, into a
// table that grows as the benchmark runs. Each entry goes into the table
// and every index on it, so this is what an index more or less costs.
func BenchmarkCreateRequestLogs(b *testing.B) {
	db, _ := open(b)
	logs := sqlite.NewServices(db).RequestLogs
	ctx := context.Background()
	batch := make([]*docsapi.RequestLog, 500)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range batch {
			n++
			l := &docsapi.RequestLog{ID: docsapi.NewRequestID(), AccountID: "acct_bench", Method: "GET",
				Path: "/v1/resources/res_0000000benchmark00000000", Route: "GET /v1/resources/{id}", Status: 200,
				APIKeyID: "key_0000000benchmark00000000", Duration: 90 * time.Microsecond, IP: "127.0.0.1",
				UserAgent: "wrk", Source: docsapi.SourceAPI, CreatedAt: docsapi.Now()}
			if n%50 == 0 {
				l.Status, l.ErrorCode, l.ErrorMessage, l.ErrorParam = 404, docsapi.ENOTFOUND, "No such resource: 'res_x'.", "id"
			}
			batch[i] = l
		}
		if err := logs.CreateRequestLogs(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/entry")
}
