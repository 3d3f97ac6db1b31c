package docsapi_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/internal/testenv"
	"github.com/docsapi/docsapi/postgres"
	"github.com/docsapi/docsapi/sqlite"
	"github.com/docsapi/docsapi/storetest"
)

// TestRunPurges: the background purge removes request-log entries past the
// retention, idempotency records past 24 h and sessions idle past
// SessionIdleTimeout, and keeps the rest, on both engines.
func TestRunPurges(t *testing.T) {
	engines := []struct {
		name string
		open func(t *testing.T) docsapi.Services
	}{
		{"sqlite", func(t *testing.T) docsapi.Services {
			db, err := sqlite.Open(filepath.Join(t.TempDir(), "docsapi.db"))
			migrated(t, db, err)
			return sqlite.NewServices(db)
		}},
		{"postgres", func(t *testing.T) docsapi.Services {
			db, err := postgres.Open(context.Background(), testenv.PostgresURL(t))
			migrated(t, db, err)
			return postgres.NewServices(db)
		}},
	}
	for _, tt := range engines {
		t.Run(tt.name, func(t *testing.T) { testRunPurges(t, tt.open(t)) })
	}
}

// migrated fails t on the error of opening db, else migrates db, which
// t's cleanup closes.
func migrated(t *testing.T, db interface {
	Migrate(ctx context.Context) ([]string, error)
	Close() error
}, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func testRunPurges(t *testing.T, svc docsapi.Services) {
	ctx := context.Background()
	acct, key, _, err := svc.Accounts.CreateAccount(ctx, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	now := docsapi.Now()
	entry := func(id string, age time.Duration) *docsapi.RequestLog {
		return &docsapi.RequestLog{ID: id, AccountID: acct.ID, Method: "GET", Path: "/", Status: 200, APIKeyID: key.ID, CreatedAt: now.Add(-age)}
	}
	if err := svc.RequestLogs.CreateRequestLogs(ctx, []*docsapi.RequestLog{entry("req_old0000001", 8*24*time.Hour), entry("req_new0000001", time.Hour)}); err != nil {
		t.Fatal(err)
	}
	claim, _, err := svc.Idempotency.Begin(ctx, acct.ID, "k", "fp", "req_x")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Idempotency.Complete(ctx, claim, func(ctx context.Context) (*docsapi.StoredResponse, error) {
		return &docsapi.StoredResponse{Status: 200, Body: []byte(`{}`), RequestID: "req_x"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	idle, _ := docsapi.NewSession(key)
	idle.LastSeenAt = now.Add(-docsapi.SessionIdleTimeout - time.Minute)
	live, liveToken := docsapi.NewSession(key)
	for _, s := range []*docsapi.Session{idle, live} {
		if err := svc.Sessions.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	logs := &testenv.SyncBuffer{}
	run, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		docsapi.RunPurges(run, svc, 7*24*time.Hour, time.Hour, slog.New(slog.NewTextHandler(logs, nil)))
		close(done)
	}()
	// Cancelling before the last purge ran would fail it: wait for its line.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), `msg="purged sessions" count=1`) {
		if time.Now().After(deadline) {
			t.Fatalf("the idle session was not purged; log:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if _, err := svc.RequestLogs.FindRequestLogByID(ctx, acct.ID, "req_old0000001"); docsapi.ErrorCode(err) != docsapi.ENOTFOUND {
		t.Errorf("the old entry was not purged: %v", err)
	}
	if _, err := svc.RequestLogs.FindRequestLogByID(ctx, acct.ID, "req_new0000001"); err != nil {
		t.Errorf("the recent entry was purged: %v", err)
	}
	// A fresh idempotency record survives: the same key replays.
	if stored, err := storetest.Later(t, svc, acct.ID, "k", "fp", "req_y", func(context.Context) (*docsapi.StoredResponse, error) {
		t.Error("the fresh idempotency record was not replayed: the work ran again")
		return &docsapi.StoredResponse{Status: 201}, nil
	}); err != nil || stored == nil {
		t.Errorf("fresh idempotency record: %v %v", stored, err)
	}
	if n, err := svc.Sessions.PurgeSessions(ctx, now.Add(-docsapi.SessionIdleTimeout)); err != nil || n != 0 {
		t.Errorf("the idle session is still stored: %d left, %v", n, err)
	}
	if _, err := svc.Sessions.FindSessionByToken(ctx, liveToken); err != nil {
		t.Errorf("the live session was purged: %v", err)
	}
}

// TestRunPurgesShutdown: a purge that shutdown cuts short returns at once
// and logs no error.
func TestRunPurgesShutdown(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "docsapi.db"))
	migrated(t, db, err)
	logs := &testenv.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() {
		docsapi.RunPurges(ctx, sqlite.NewServices(db), time.Hour, time.Hour, slog.New(slog.NewTextHandler(logs, nil)))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunPurges did not return after its context ended")
	}
	if s := logs.String(); s != "" {
		t.Errorf("a purge ended by shutdown logged:\n%s", s)
	}
}
