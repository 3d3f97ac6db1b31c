package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/internal/testenv"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// stuckLogs is a request-log store that blocks until released, then records.
type stuckLogs struct {
	docsapi.RequestLogService
	release chan struct{}
	mu      sync.Mutex
	written int
}

func (s *stuckLogs) CreateRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	<-s.release
	s.mu.Lock()
	s.written += len(logs)
	s.mu.Unlock()
	return nil
}

type noTouch struct{ docsapi.APIKeyService }

func (noTouch) TouchAPIKey(context.Context, string, time.Time) error { return nil }

// TestRequestLoggerDropsWhenFull: a stuck store never slows requests down;
// what does not fit the queue is dropped and counted, the rest is written.
func TestRequestLoggerDropsWhenFull(t *testing.T) {
	store := &stuckLogs{release: make(chan struct{})}
	m := newMetrics(prometheus.NewRegistry())
	l := newRequestLogger(store, noTouch{}, slog.New(slog.NewTextHandler(io.Discard, nil)), m)
	const extra = 100
	start := time.Now()
	// The writer holds one batch of up to requestLogBatchSize while stuck.
	total := requestLogQueueSize + requestLogBatchSize + extra
	refused := 0
	for i := 0; i < total; i++ {
		if !l.Enqueue(&docsapi.RequestLog{ID: "req_x", APIKeyID: "key_x", CreatedAt: time.Now()}) {
			refused++
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("enqueueing into a stuck logger took %v", d)
	}
	dropped := int(testutil.ToFloat64(m.logDropped))
	if dropped < extra || refused != dropped {
		t.Errorf("dropped %d, Enqueue false %d times, want at least %d", dropped, refused, extra)
	}
	if depth := testutil.ToFloat64(m.logQueueDepth); depth != requestLogQueueSize {
		t.Errorf("queue depth %v, want %d", depth, requestLogQueueSize)
	}
	close(store.release)
	l.Close()
	if store.written+dropped != total {
		t.Errorf("written %d + dropped %d != %d enqueued", store.written, dropped, total)
	}
}

// downLogs is a request-log store that is down until released, then records.
type downLogs struct {
	docsapi.RequestLogService
	mu      sync.Mutex
	up      bool
	written int
}

func (s *downLogs) CreateRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.up {
		return errors.New("connection refused")
	}
	s.written += len(logs)
	return nil
}

// TestRequestLoggerRetryIsBounded: while the store is down, entries are kept
// up to the bound; the rest are dropped, counted and logged. The kept ones
// are written when the store is back, by Close at the latest.
func TestRequestLoggerRetryIsBounded(t *testing.T) {
	store := &downLogs{}
	m := newMetrics(prometheus.NewRegistry())
	logs := &testenv.SyncBuffer{}
	l := newRequestLogger(store, noTouch{}, slog.New(slog.NewTextHandler(logs, nil)), m)
	l.retryLimit = 10
	for i := 0; i < 25; i++ {
		l.Enqueue(&docsapi.RequestLog{ID: "req_x", APIKeyID: "key_x", CreatedAt: time.Now()})
		l.Flush(context.Background())
	}
	if dropped := testutil.ToFloat64(m.logDropped); dropped != 15 {
		t.Errorf("dropped %v, want 15", dropped)
	}
	if depth := testutil.ToFloat64(m.logQueueDepth); depth != 10 {
		t.Errorf("queue depth %v, want the 10 kept", depth)
	}
	if !strings.Contains(logs.String(), "request log retry buffer full") {
		t.Errorf("no log line for the drops: %s", logs.String())
	}
	store.mu.Lock()
	store.up = true
	store.mu.Unlock()
	l.Close()
	if store.written != 10 {
		t.Errorf("written %d after Close, want the 10 kept", store.written)
	}
}

// fragileLogs is a request-log store that refuses a batch holding an entry
// whose id starts with "bad" for its content (as PostgreSQL refuses a row
// over its index's limit), and is down once it has taken up entries, until
// up is raised.
type fragileLogs struct {
	docsapi.RequestLogService
	mu      sync.Mutex
	up      int
	written []string
}

func (s *fragileLogs) CreateRequestLogs(ctx context.Context, logs []*docsapi.RequestLog) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range logs {
		if strings.HasPrefix(l.ID, "bad") {
			return fmt.Errorf("insert request logs: %w: index row size exceeds maximum", docsapi.ErrEntryRefused)
		}
	}
	if len(logs) > s.up {
		return errors.New("connection reset by peer")
	}
	s.up -= len(logs)
	for _, l := range logs {
		s.written = append(s.written, l.ID)
	}
	return nil
}

// TestRequestLoggerBadEntries: entries whose content the store refuses are
// dropped, counted and logged, and the others written, wherever the bad ones
// are in the batch: three at its head were taken for a failing store.
func TestRequestLoggerBadEntries(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []string
		bad  int
	}{
		{"one in the middle", []string{"ok1", "bad1", "ok2"}, 1},
		{"three at the head", []string{"bad1", "bad2", "bad3", "ok1", "ok2"}, 3},
		{"four at the head, one at the end", []string{"bad1", "bad2", "bad3", "bad4", "ok1", "bad5"}, 5},
		{"all", []string{"bad1", "bad2", "bad3", "bad4"}, 4},
		{"alone", []string{"bad1"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &fragileLogs{up: 1000}
			m := newMetrics(prometheus.NewRegistry())
			logs := &testenv.SyncBuffer{}
			l := newRequestLogger(store, noTouch{}, slog.New(slog.NewTextHandler(logs, nil)), m)
			for _, id := range tc.ids {
				l.Enqueue(&docsapi.RequestLog{ID: id, APIKeyID: "key_x", CreatedAt: time.Now()})
			}
			l.Flush(context.Background())
			if got := testutil.ToFloat64(m.logWriteErrors); got != float64(tc.bad) {
				t.Errorf("write errors %v, want %d", got, tc.bad)
			}
			if depth := testutil.ToFloat64(m.logQueueDepth); depth != 0 {
				t.Errorf("%v entries kept for retry, want none", depth)
			}
			store.mu.Lock()
			n := len(store.written)
			store.mu.Unlock()
			if n != len(tc.ids)-tc.bad {
				t.Errorf("written %d, want %d", n, len(tc.ids)-tc.bad)
			}
			l.Close()
		})
	}
}

// TestRequestLoggerOutageWhileWritingOneByOne: a store that goes down while
// a failed batch is written entry by entry loses nothing: the entries after
// the outage are kept for retry, not dropped as bad.
func TestRequestLoggerOutageWhileWritingOneByOne(t *testing.T) {
	for _, tc := range []struct {
		name string
		up   int // entries written before the outage
		n    int
	}{
		{"after one", 1, 12},
		{"before the last two", 10, 12},
		{"before the last", 11, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The batch (n entries at once) fails, as the store will take
			// only up entries more.
			store := &fragileLogs{up: tc.up}
			m := newMetrics(prometheus.NewRegistry())
			l := newRequestLogger(store, noTouch{}, slog.New(slog.NewTextHandler(io.Discard, nil)), m)
			for i := range tc.n {
				l.Enqueue(&docsapi.RequestLog{ID: fmt.Sprintf("req_%02d", i), APIKeyID: "key_x", CreatedAt: time.Now()})
			}
			l.Flush(context.Background())
			if got := testutil.ToFloat64(m.logWriteErrors); got != 0 {
				t.Errorf("%v entries dropped as bad, want none", got)
			}
			if depth := testutil.ToFloat64(m.logQueueDepth); depth != float64(tc.n-tc.up) {
				t.Errorf("%v entries kept for retry, want %d", depth, tc.n-tc.up)
			}
			store.mu.Lock()
			store.up = 1000
			store.mu.Unlock()
			l.Close()
			if len(store.written) != tc.n {
				t.Errorf("written %d after the store came back, want %d", len(store.written), tc.n)
			}
		})
	}
}
