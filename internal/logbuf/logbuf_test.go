package logbuf_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docsapi/docsapi/internal/logbuf"
)

// out is an underlying writer that the test reads while the Writer's timer
// may write to it.
type out struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (o *out) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writes++
	return o.b.Write(p)
}

func (o *out) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writes
}

func (o *out) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// eventually waits for cond, failing after a generous deadline: the
// timer's flush is asynchronous.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}

func TestHandlerFlushesWarningsAtOnce(t *testing.T) {
	for _, c := range []struct {
		level   slog.Level
		written bool
	}{
		{slog.LevelDebug, false},
		{slog.LevelInfo, false},
		{slog.LevelWarn, true},
		{slog.LevelError, true},
	} {
		t.Run(c.level.String(), func(t *testing.T) {
			o := &out{}
			// An interval no test waits for: only Handle may write.
			w := logbuf.NewWriter(o, time.Hour)
			defer w.Close()
			log := slog.New(logbuf.Handler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}), w)).
				With("request_id", "req_1").WithGroup("g")
			log.Info("before")
			log.Log(t.Context(), c.level, "this", "k", "v")
			got := o.String()
			if !c.written {
				if got != "" {
					t.Fatalf("written before the interval: %q", got)
				}
				return
			}
			if !strings.Contains(got, `"msg":"before"`) || !strings.Contains(got, `"msg":"this","request_id":"req_1","g":{"k":"v"}`) {
				t.Fatalf("got %q, want both lines, the second with its attributes and group", got)
			}
		})
	}
}

func TestWriterFlushesWithinInterval(t *testing.T) {
	o := &out{}
	w := logbuf.NewWriter(o, 20*time.Millisecond)
	defer w.Close()
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	eventually(t, func() bool { return strings.Count(o.String(), "\n") == 100 })
	if n := o.count(); n != 1 {
		t.Errorf("%d writes for 100 lines, want 1", n)
	}
	// The timer rearms for what comes after a flush.
	fmt.Fprintln(w, "later")
	eventually(t, func() bool { return strings.HasSuffix(o.String(), "later\n") })
}

func TestWriterCloseFlushesAndWritesThrough(t *testing.T) {
	o := &out{}
	w := logbuf.NewWriter(o, time.Hour)
	fmt.Fprintln(w, "buffered")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := o.String(); got != "buffered\n" {
		t.Fatalf("after Close: %q", got)
	}
	fmt.Fprintln(w, "after close")
	if got := o.String(); got != "buffered\nafter close\n" {
		t.Fatalf("a write after Close is not written through: %q", got)
	}
}

func TestWriterConcurrentLinesStayWhole(t *testing.T) {
	o := &out{}
	w := logbuf.NewWriter(o, time.Millisecond)
	log := slog.New(logbuf.Handler(slog.NewJSONHandler(w, nil), w))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				log.Info("request", "g", g, "i", i, "pad", strings.Repeat("x", 200))
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(o.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
			t.Fatalf("torn line %q", l)
		}
	}
}
