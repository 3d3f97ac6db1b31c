// Package logbuf buffers a log's lines in memory and writes them out in
// bulk: a server writing one access-log line per request would otherwise
// pay a write system call for each, about a tenth of a GET's CPU.
//
// Lines reach the underlying writer within the flush interval, at once for
// records at slog.LevelWarn and above (through Handler), and on Close. A
// process killed with SIGKILL loses at most one interval of lines.
package logbuf

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// size is the buffer's capacity: a full buffer is written at once, so at
// most this many bytes wait.
const size = 64 << 10

// Writer is an io.Writer that buffers what it is given and writes it to the
// underlying writer at most interval later. It is safe for concurrent use.
type Writer struct {
	mu       sync.Mutex
	out      io.Writer
	buf      *bufio.Writer
	interval time.Duration
	timer    *time.Timer
	armed    bool // the timer will flush what is buffered
	closed   bool
}

// NewWriter returns a Writer over out that flushes every interval while it
// holds anything.
func NewWriter(out io.Writer, interval time.Duration) *Writer {
	w := &Writer{out: out, buf: bufio.NewWriterSize(out, size), interval: interval}
	w.timer = time.AfterFunc(interval, func() { w.Flush() })
	w.timer.Stop()
	return w
}

// Write buffers p; after Close it writes p through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	n, err := w.buf.Write(p)
	if !w.armed && w.buf.Buffered() > 0 {
		w.armed = true
		w.timer.Reset(w.interval)
	}
	return n, err
}

// Flush writes out everything buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed = false
	return w.buf.Flush()
}

// Close flushes the buffer; later writes go straight to the underlying
// writer, so that lines logged while the process exits are not lost.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer.Stop()
	w.closed = true
	return w.buf.Flush()
}

// Handler wraps a slog.Handler that writes to w, so that a record at
// slog.LevelWarn or above, which an operator may be watching for, is
// written out at once with all the lines before it.
func Handler(h slog.Handler, w *Writer) slog.Handler {
	return flushing{Handler: h, w: w}
}

type flushing struct {
	slog.Handler
	w *Writer
}

func (h flushing) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushing) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushing{Handler: h.Handler.WithAttrs(attrs), w: h.w}
}

func (h flushing) WithGroup(name string) slog.Handler {
	return flushing{Handler: h.Handler.WithGroup(name), w: h.w}
}
