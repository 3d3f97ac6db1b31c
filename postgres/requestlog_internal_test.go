package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// TestRequestLogBatchesCommitInSeqOrder: a batch that starts while another
// is still open waits for it, so a tail never sees a later seq before an
// earlier one has committed.
func TestRequestLogBatchesCommitInSeqOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := open(t)
	svc := NewRequestLogService(db)
	entry := func() *docsapi.RequestLog {
		return &docsapi.RequestLog{ID: docsapi.NewRequestID(), AccountID: "acct_x", Method: "GET", Path: "/v1/resources",
			Route: "GET /v1/resources", Status: 200, APIKeyID: "key_x", Source: docsapi.SourceAPI, CreatedAt: docsapi.Now()}
	}
	first, slow, late := entry(), entry(), entry()
	if err := svc.CreateRequestLogs(ctx, []*docsapi.RequestLog{first}); err != nil {
		t.Fatal(err)
	}
	lateDone := make(chan error, 1)
	err := db.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := svc.CreateRequestLogs(ctx, []*docsapi.RequestLog{slow}); err != nil {
			return err
		}
		go func() { lateDone <- svc.CreateRequestLogs(context.Background(), []*docsapi.RequestLog{late}) }()
		// Wait until the late batch queues on the lock that this open one holds.
		for {
			var waiting bool
			if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
				   AND (classid::bigint << 32 | objid::bigint) = hashtext('docsapi.request_logs.' || current_schema())::bigint)`).Scan(&waiting); err != nil {
				return err
			}
			if waiting {
				break
			}
			select {
			case err := <-lateDone:
				t.Fatalf("the late batch committed while an earlier one was open (%v)", err)
			case <-time.After(10 * time.Millisecond):
			}
		}
		got, err := svc.TailRequestLogs(context.Background(), "acct_x", docsapi.RequestLogFilter{}, first.ID, 10)
		if err != nil || len(got) != 0 {
			t.Errorf("tail while both are open: %v %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-lateDone; err != nil {
		t.Fatal(err)
	}
	got, err := svc.TailRequestLogs(ctx, "acct_x", docsapi.RequestLogFilter{}, first.ID, 10)
	var ids []string
	for _, l := range got {
		ids = append(ids, l.ID)
	}
	if err != nil || strings.Join(ids, " ") != slow.ID+" "+late.ID {
		t.Fatalf("tail %v %v, want the slow batch then the late one", ids, err)
	}
}

// TestRequestLogRefusedEntry: an entry that PostgreSQL refuses for its
// content (here a path over the index row's 2,704 bytes, in characters that
// do not compress) fails its batch with ErrEntryRefused, which tells the
// log writer to drop it rather than take the store for down; a store that
// fails does not say so.
func TestRequestLogRefusedEntry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := open(t)
	svc := NewRequestLogService(db)
	var path strings.Builder
	path.WriteString("/v1/resources/")
	for i := range 3000 {
		path.WriteRune(rune(0x100 + i*7919%0x600))
	}
	for _, tc := range []struct {
		name    string
		path    string
		refused bool
	}{
		{"a path of the API", "/v1/resources", false},
		{"a path over the index's row", path.String(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := svc.CreateRequestLogs(ctx, []*docsapi.RequestLog{{ID: docsapi.NewRequestID(), AccountID: "acct_x", Method: "GET",
				Path: tc.path, Route: "GET /v1/resources", Status: 200, APIKeyID: "key_x", Source: docsapi.SourceAPI, CreatedAt: docsapi.Now()}})
			if (err != nil) != tc.refused || errors.Is(err, docsapi.ErrEntryRefused) != tc.refused {
				t.Errorf("err = %v, want refused %v", err, tc.refused)
			}
		})
	}
	db.pool.Close()
	err := svc.CreateRequestLogs(ctx, []*docsapi.RequestLog{{ID: docsapi.NewRequestID(), AccountID: "acct_x", CreatedAt: docsapi.Now()}})
	if err == nil || errors.Is(err, docsapi.ErrEntryRefused) {
		t.Errorf("closed pool: err = %v, want a failure that is not a refusal", err)
	}
}
