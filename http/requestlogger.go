package http

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/docsapi/docsapi"
)

// Request-log queue sizes: a full queue drops entries (and counts them)
// rather than slowing requests down.
const (
	requestLogQueueSize = 10_000
	requestLogBatchSize = 500
	requestLogInterval  = 50 * time.Millisecond
	// keyTouchInterval bounds how often a key's last_used_at is written.
	keyTouchInterval = time.Minute
)

// requestLogger writes request-log entries in batches, off the request path.
type requestLogger struct {
	svc     docsapi.RequestLogService
	keys    docsapi.APIKeyService
	logger  *slog.Logger
	metrics *metrics

	queue   chan *docsapi.RequestLog
	flushes chan chan struct{}
	done    chan struct{}
	closing sync.Once
	touched map[string]time.Time // key id → last written last_used_at
}

func newRequestLogger(svc docsapi.RequestLogService, keys docsapi.APIKeyService, logger *slog.Logger, m *metrics) *requestLogger {
	l := &requestLogger{
		svc: svc, keys: keys, logger: logger, metrics: m,
		queue:   make(chan *docsapi.RequestLog, requestLogQueueSize),
		flushes: make(chan chan struct{}),
		done:    make(chan struct{}),
		touched: map[string]time.Time{},
	}
	m.queueDepth = func() float64 { return float64(len(l.queue)) }
	go l.run()
	return l
}

// Enqueue queues an entry without blocking.
func (l *requestLogger) Enqueue(e *docsapi.RequestLog) {
	select {
	case l.queue <- e:
	default:
		l.metrics.logDropped.Inc()
	}
}

// Flush returns once every entry queued before the call is written, so that
// a caller reading the log sees its own earlier requests.
func (l *requestLogger) Flush(ctx context.Context) {
	ack := make(chan struct{})
	select {
	case l.flushes <- ack:
	case <-ctx.Done():
		return
	case <-l.done:
		return
	}
	select {
	case <-ack:
	case <-ctx.Done():
	}
}

// Close writes what is queued and stops; requests must have stopped first.
// Closing twice is harmless.
func (l *requestLogger) Close() {
	l.closing.Do(func() { close(l.queue) })
	<-l.done
}

func (l *requestLogger) run() {
	defer close(l.done)
	ticker := time.NewTicker(requestLogInterval)
	defer ticker.Stop()
	batch := make([]*docsapi.RequestLog, 0, requestLogBatchSize)
	for {
		select {
		case e, ok := <-l.queue:
			if !ok {
				l.write(batch)
				return
			}
			if batch = append(batch, e); len(batch) >= requestLogBatchSize {
				batch = l.write(batch)
			}
		case <-ticker.C:
			batch = l.write(batch)
		case ack := <-l.flushes:
			for drained := false; !drained; {
				select {
				case e, ok := <-l.queue:
					if !ok {
						drained = true
						break
					}
					if batch = append(batch, e); len(batch) >= requestLogBatchSize {
						batch = l.write(batch)
					}
				default:
					drained = true
				}
			}
			batch = l.write(batch)
			close(ack)
		}
	}
}

// write stores a batch and the last_used_at of its keys, and returns the
// batch emptied for reuse.
func (l *requestLogger) write(batch []*docsapi.RequestLog) []*docsapi.RequestLog {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.svc.CreateRequestLogs(ctx, batch); err != nil {
		// One bad entry must not cost the others: write them one by one.
		for _, e := range batch {
			if err := l.svc.CreateRequestLogs(ctx, []*docsapi.RequestLog{e}); err != nil {
				l.metrics.logWriteErrors.Inc()
				l.logger.Error("write request log", slog.String("request_id", e.ID), slog.String("error", err.Error()))
			}
		}
	}
	for _, e := range batch {
		if last, ok := l.touched[e.APIKeyID]; ok && e.CreatedAt.Sub(last) < keyTouchInterval {
			continue
		}
		l.touched[e.APIKeyID] = e.CreatedAt
		if err := l.keys.TouchAPIKey(ctx, e.APIKeyID, e.CreatedAt.Truncate(time.Microsecond)); err != nil {
			l.logger.Error("touch api key", slog.String("api_key_id", e.APIKeyID), slog.String("error", err.Error()))
		}
	}
	if len(l.touched) > 100_000 {
		clear(l.touched)
	}
	return batch[:0]
}
