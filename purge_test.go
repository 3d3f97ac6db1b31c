package docsapi_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/sqlite"
)

// TestRunPurges: the background purge removes request-log entries past the
// retention and idempotency records past 24 h, and keeps the rest.
func TestRunPurges(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "docsapi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logs, idem := sqlite.NewRequestLogService(db), sqlite.NewIdempotencyService(db)
	now := docsapi.Now()
	entry := func(id string, age time.Duration) *docsapi.RequestLog {
		return &docsapi.RequestLog{ID: id, AccountID: "acct_a", Method: "GET", Path: "/", Status: 200, APIKeyID: "key_a", CreatedAt: now.Add(-age)}
	}
	if err := logs.CreateRequestLogs(ctx, []*docsapi.RequestLog{entry("req_old0000001", 8*24*time.Hour), entry("req_new0000001", time.Hour)}); err != nil {
		t.Fatal(err)
	}
	claim, _, err := idem.Begin(ctx, "acct_a", "k", "fp", "req_x")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := idem.Complete(ctx, claim, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		return &docsapi.StoredResponse{Status: 200, Body: []byte(`{}`), RequestID: "req_x"}, nil
	}); err != nil {
		t.Fatal(err)
	}

	run, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		docsapi.RunPurges(run, idem, logs, 7*24*time.Hour, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := logs.FindRequestLogByID(ctx, "acct_a", "req_old0000001"); docsapi.ErrorCode(err) == docsapi.ENOTFOUND {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old entry was not purged")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if _, err := logs.FindRequestLogByID(ctx, "acct_a", "req_new0000001"); err != nil {
		t.Errorf("the recent entry was purged: %v", err)
	}
	// A fresh idempotency record survives: the same key replays.
	if _, stored, err := idem.Begin(ctx, "acct_a", "k", "fp", "req_y"); err != nil || stored == nil {
		t.Errorf("fresh idempotency record: %v %v", stored, err)
	}
}
