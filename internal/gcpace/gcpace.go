// Package gcpace keeps the garbage collector from running dozens of times a
// second on a small heap. Go collects when the heap has grown by GOGC
// percent of what the last collection left live: a server whose live heap
// is 4 MiB collects every 4 MiB it allocates, 25 times a second at 20,000
// requests a second, and each collection has a fixed cost. Keeping at least
// a fixed headroom instead (GOGC raised while the live heap is small) made
// GETs 7% and creates 6% faster on one core (bench/compare.sh,
// docs/performance.md), for at most that headroom in memory. Once the
// live heap is larger than the headroom, GOGC is Go's default of 100 and
// memory is as without this package.
package gcpace

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Percent is the GOGC that lets a live heap of live bytes grow by at least
// headroom before the next collection, and never less than Go's default.
func Percent(live, headroom uint64) int {
	const maxPercent = 10_000 // a nearly empty heap: the headroom decides
	if live == 0 || headroom/live >= maxPercent/100 {
		return maxPercent
	}
	return max(100, int(headroom*100/live))
}

// Run sets GOGC from the live heap every interval until ctx is done, then
// restores the GOGC it found. An operator's GOGC (the environment
// variable) is theirs: the caller runs this only without it.
func Run(ctx context.Context, headroom uint64, every time.Duration) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		metrics.Read(sample)
		debug.SetGCPercent(Percent(sample[0].Value.Uint64(), headroom))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
