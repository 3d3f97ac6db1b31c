package http

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
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
	for i := 0; i < total; i++ {
		l.Enqueue(&docsapi.RequestLog{ID: "req_x", APIKeyID: "key_x", CreatedAt: time.Now()})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("enqueueing into a stuck logger took %v", d)
	}
	dropped := int(testutil.ToFloat64(m.logDropped))
	if dropped < extra {
		t.Errorf("dropped %d, want at least %d", dropped, extra)
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
