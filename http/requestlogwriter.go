package http

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
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

	// Entries that the store failed to take are kept, up to
	// requestLogRetryLimit, and retried with a backoff doubling from
	// requestLogRetryMin to requestLogRetryMax. Close retries them for up to
	// requestLogCloseTimeout.
	requestLogRetryLimit   = 50_000
	requestLogRetryMin     = 100 * time.Millisecond
	requestLogRetryMax     = 5 * time.Second
	requestLogCloseTimeout = 10 * time.Second
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

	// The entries kept for retry, oldest first, and when to retry them.
	pending    []*docsapi.RequestLog
	retryLimit int
	backoff    time.Duration
	retryAt    time.Time
	held       atomic.Int64 // len(pending), for the queue-depth gauge
	dropLogged time.Time
}

// newRequestLogger starts the goroutine that writes svc's entries in
// batches; Close stops it.
func newRequestLogger(svc docsapi.RequestLogService, keys docsapi.APIKeyService, logger *slog.Logger, m *metrics) *requestLogger {
	l := &requestLogger{
		svc: svc, keys: keys, logger: logger, metrics: m,
		queue:   make(chan *docsapi.RequestLog, requestLogQueueSize),
		flushes: make(chan chan struct{}),
		done:    make(chan struct{}),
		touched: map[string]time.Time{},

		retryLimit: requestLogRetryLimit,
	}
	m.queueDepth = func() float64 { return float64(len(l.queue)) + float64(l.held.Load()) }
	go l.run()
	return l
}

// Enqueue queues an entry without blocking; it reports false when the
// queue was full and the entry dropped.
func (l *requestLogger) Enqueue(e *docsapi.RequestLog) bool {
	select {
	case l.queue <- e:
		return true
	default:
		l.metrics.logDropped.Inc()
		return false
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

// Close writes what is queued and what is kept for retry (retrying for up
// to requestLogCloseTimeout), and stops; requests must have stopped first.
// Closing twice is harmless.
func (l *requestLogger) Close() {
	l.closing.Do(func() { close(l.queue) })
	<-l.done
}

// run batches queued entries and writes a batch when it is full or every
// requestLogInterval, and retries failed batches; on Close it writes what
// is left and retries for at most requestLogCloseTimeout.
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
				l.retryUntil(time.Now().Add(requestLogCloseTimeout))
				return
			}
			if batch = append(batch, e); len(batch) >= requestLogBatchSize {
				batch = l.write(batch)
			}
		case now := <-ticker.C:
			batch = l.write(batch)
			if len(l.pending) > 0 && !now.Before(l.retryAt) {
				l.retry()
			}
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
			// A reader waits for the entries it may look for, backoff or not.
			l.retry()
			close(ack)
		}
	}
}

// write stores a batch, or keeps it for retry, and returns it emptied for
// reuse.
func (l *requestLogger) write(batch []*docsapi.RequestLog) []*docsapi.RequestLog {
	if len(batch) == 0 {
		return batch
	}
	if len(l.pending) > 0 {
		// The store is failing: join the entries waiting for it, in order.
		l.keep(batch, nil)
	} else {
		l.keep(l.store(batch))
	}
	return batch[:0]
}

// store writes entries and the last_used_at of their keys, and returns the
// entries that the store failed to take, with why. An entry that fails on
// its own while others are written is bad, not the store: it is logged and
// dropped.
func (l *requestLogger) store(entries []*docsapi.RequestLog) ([]*docsapi.RequestLog, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.svc.CreateRequestLogs(ctx, entries)
	if err == nil {
		l.touch(ctx, entries)
		return nil, nil
	}
	if len(entries) == 1 && !errors.Is(err, docsapi.ErrEntryRefused) {
		return entries, err
	}
	// One bad entry must not cost the others: write them one by one. An
	// entry whose content the store refused, or that failed where a later
	// one was then written, is bad: logged, counted and dropped. Failures
	// after the last entry written are the store's: three in a row end the
	// loop, and they are kept for retry with the entries not yet tried.
	var written, bad, failing []*docsapi.RequestLog
	var badErrs, failingErrs []error
	for i, e := range entries {
		err := l.svc.CreateRequestLogs(ctx, []*docsapi.RequestLog{e})
		if err == nil {
			written = append(written, e)
			bad, badErrs = append(bad, failing...), append(badErrs, failingErrs...)
			failing, failingErrs = nil, nil
			continue
		}
		if errors.Is(err, docsapi.ErrEntryRefused) {
			bad, badErrs = append(bad, e), append(badErrs, err)
			continue
		}
		failing, failingErrs = append(failing, e), append(failingErrs, err)
		if len(failing) == 3 {
			failing = append(failing, entries[i+1:]...)
			break
		}
	}
	l.touch(ctx, written)
	for i, e := range bad {
		l.metrics.logWriteErrors.Inc()
		l.logger.Error("write request log", slog.String("request_id", e.ID), slog.String("error", badErrs[i].Error()))
	}
	if len(failing) > 0 {
		return failing, failingErrs[0]
	}
	return nil, nil
}

// keep holds entries that the store failed to take (with err), for retry,
// up to the retry limit; what does not fit is dropped and counted.
func (l *requestLogger) keep(entries []*docsapi.RequestLog, err error) {
	if len(entries) == 0 {
		return
	}
	if len(l.pending) == 0 {
		l.backoff = requestLogRetryMin
		l.retryAt = time.Now().Add(l.backoff)
		l.logger.Warn("request log store failing; keeping entries to retry", slog.Int("entries", len(entries)), slog.Any("error", err))
	}
	if over := len(l.pending) + len(entries) - l.retryLimit; over > 0 {
		entries = entries[:len(entries)-over]
		l.metrics.logDropped.Add(float64(over))
		// At most one line every 10 s while the buffer stays full.
		if now := time.Now(); now.Sub(l.dropLogged) >= 10*time.Second {
			l.dropLogged = now
			l.logger.Error("request log retry buffer full; newest entries dropped", slog.Int("dropped", over), slog.Int("held", len(l.pending)))
		}
	}
	l.pending = append(l.pending, entries...)
	l.held.Store(int64(len(l.pending)))
}

// retry writes the entries kept for retry, oldest first, and reports
// whether all of them are written; on a failure it backs off.
func (l *requestLogger) retry() bool {
	if len(l.pending) == 0 {
		return true
	}
	defer func() { l.held.Store(int64(len(l.pending))) }()
	for len(l.pending) > 0 {
		n := min(len(l.pending), requestLogBatchSize)
		if failed, _ := l.store(l.pending[:n]); len(failed) > 0 {
			rest := make([]*docsapi.RequestLog, 0, len(failed)+len(l.pending)-n)
			l.pending = append(append(rest, failed...), l.pending[n:]...)
			l.backoff = min(2*l.backoff, requestLogRetryMax)
			l.retryAt = time.Now().Add(l.backoff)
			return false
		}
		l.pending = l.pending[n:]
	}
	l.pending = nil
	l.logger.Info("request log store recovered; kept entries written")
	return true
}

// retryUntil retries the kept entries until they are written or deadline
// passes; what is still kept then is lost, and counted.
func (l *requestLogger) retryUntil(deadline time.Time) {
	for !l.retry() {
		if l.retryAt.After(deadline) {
			l.metrics.logDropped.Add(float64(len(l.pending)))
			l.logger.Error("request log store still failing at shutdown; kept entries dropped", slog.Int("dropped", len(l.pending)))
			l.pending = nil
			l.held.Store(0)
			return
		}
		time.Sleep(time.Until(l.retryAt))
	}
}

// touch writes the last_used_at of the keys of written entries.
func (l *requestLogger) touch(ctx context.Context, entries []*docsapi.RequestLog) {
	for _, e := range entries {
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
}
