package gcpace_test

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/docsapi/docsapi/internal/gcpace"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{0, 16 * mib, 10_000},
		{1024, 16 * mib, 10_000},
		{1 * mib, 16 * mib, 1600},
		{4 * mib, 16 * mib, 400},
		{10 * mib, 16 * mib, 160},
		{16 * mib, 16 * mib, 100},
		{64 * mib, 16 * mib, 100}, // a large heap: Go's default
	} {
		if got := gcpace.Percent(c.live, c.headroom); got != c.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
		}
	}
}

// TestRun: while it runs, GOGC follows the live heap (a test binary's is a
// few MiB, far below 1 GiB of headroom); once its context ends, GOGC is
// what it was before.
func TestRun(t *testing.T) {
	before := debug.SetGCPercent(123)
	defer debug.SetGCPercent(before)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		gcpace.Run(ctx, 1<<30, time.Millisecond)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := gogc()
		if p > 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d while Run keeps 1 GiB of headroom", p)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if p := gogc(); p != 123 {
		t.Fatalf("GOGC after Run: %d, want 123 as before", p)
	}
}

func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
