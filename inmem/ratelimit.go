// Package inmem implements services in process memory, for a single instance.
package inmem

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/docsapi/docsapi"
)

const shardCount = 64

// RateLimiter is an exact sliding-window limiter: each key keeps the times
// of its admissions in the last window in a ring, so a request is admitted
// exactly when fewer than limit admissions are younger than the window.
// Keys are spread over shards so that no lock is global.
type RateLimiter struct {
	window int64 // nanoseconds
	epoch  time.Time
	seed   maphash.Seed
	shards [shardCount]shard
	// now returns nanoseconds since epoch; tests replace it.
	now func() int64
}

type shard struct {
	mu        sync.Mutex
	windows   map[string]*ring
	lastSweep int64
	_         [40]byte // keeps shards on separate cache lines
}

// ring holds admission times, oldest at head.
type ring struct {
	times []int64
	head  int
	n     int
}

// NewRateLimiter returns a limiter over a sliding window of the given length.
func NewRateLimiter(window time.Duration) *RateLimiter {
	l := &RateLimiter{window: int64(window), epoch: time.Now(), seed: maphash.MakeSeed()}
	l.now = func() int64 { return int64(time.Since(l.epoch)) }
	for i := range l.shards {
		l.shards[i].windows = map[string]*ring{}
	}
	return l
}

// Allow admits and counts one request for key if fewer than limit were
// admitted in the window.
func (l *RateLimiter) Allow(_ context.Context, key string, limit int) (docsapi.RateLimit, error) {
	return l.check(key, limit, true), nil
}

// Peek reports what Allow would answer without counting.
func (l *RateLimiter) Peek(_ context.Context, key string, limit int) (docsapi.RateLimit, error) {
	return l.check(key, limit, false), nil
}

func (l *RateLimiter) check(key string, limit int, count bool) docsapi.RateLimit {
	now := l.now()
	sh := &l.shards[maphash.String(l.seed, key)%shardCount]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now-sh.lastSweep > 2*l.window {
		sh.sweep(now - l.window)
		sh.lastSweep = now
	}
	r := sh.windows[key]
	if r == nil {
		if !count {
			return docsapi.RateLimit{Allowed: limit > 0, Limit: limit, Remaining: limit}
		}
		r = &ring{times: make([]int64, min(limit, 8))}
		sh.windows[key] = r
	}
	r.expire(now - l.window)
	res := docsapi.RateLimit{Limit: limit, Allowed: r.n < limit}
	if res.Allowed && count {
		r.push(now, limit)
	}
	res.Remaining = max(limit-r.n, 0)
	if r.n > 0 {
		res.Reset = time.Duration(r.times[r.head] + l.window - now)
	}
	return res
}

// expire drops admissions at or before cutoff.
func (r *ring) expire(cutoff int64) {
	for r.n > 0 && r.times[r.head] <= cutoff {
		r.head = (r.head + 1) % len(r.times)
		r.n--
	}
}

// push records an admission, growing the ring (up to limit) when full.
func (r *ring) push(t int64, limit int) {
	if r.n == len(r.times) {
		grown := make([]int64, min(max(2*len(r.times), 1), max(limit, r.n+1)))
		for i := 0; i < r.n; i++ {
			grown[i] = r.times[(r.head+i)%len(r.times)]
		}
		r.times, r.head = grown, 0
	}
	r.times[(r.head+r.n)%len(r.times)] = t
	r.n++
}

// sweep forgets keys whose every admission is at or before cutoff, so
// memory follows the number of recently active keys.
func (sh *shard) sweep(cutoff int64) {
	for k, r := range sh.windows {
		if r.n == 0 || r.times[(r.head+r.n-1)%len(r.times)] <= cutoff {
			delete(sh.windows, k)
		}
	}
}

// Len returns the number of keys tracked.
func (l *RateLimiter) Len() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].windows)
		l.shards[i].mu.Unlock()
	}
	return n
}
