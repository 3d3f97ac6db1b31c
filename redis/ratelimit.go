// Package redis implements services on Redis, so that several server
// instances share their state.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/docsapi/docsapi"
	goredis "github.com/redis/go-redis/v9"
)

var _ docsapi.RateLimiter = (*RateLimiter)(nil)

// NewClient returns a client of the Redis server at a redis:// or rediss://
// URL. It connects on first use: an instance starts while Redis is down, as
// the running ones go on serving through an outage (limiting alone).
func NewClient(rawURL string) (*goredis.Client, error) {
	opts, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return goredis.NewClient(opts), nil
}

// CheckURL reports what is wrong with a Redis URL, without the URL, which
// may hold a password.
func CheckURL(rawURL string) error {
	_, err := parseURL(rawURL)
	return err
}

func parseURL(rawURL string) (*goredis.Options, error) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		// A *url.Error quotes the whole URL, password included.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("redis: parse url: %w", err)
	}
	// A rate-limit check sits on every request's path: unless the URL says
	// otherwise, give up on a failing Redis at once (the caller then falls
	// back) rather than after go-redis's defaults of 5 s dials, 3 s reads,
	// 3 command retries and 5 dial retries 100 ms apart.
	q, _ := url.Parse(rawURL)
	defaults := []struct {
		param string
		set   func()
	}{
		{"dial_timeout", func() { opts.DialTimeout = time.Second }},
		{"read_timeout", func() { opts.ReadTimeout = 500 * time.Millisecond }},
		{"write_timeout", func() { opts.WriteTimeout = 500 * time.Millisecond }},
		{"max_retries", func() { opts.MaxRetries = -1 }},
		{"dialer_retries", func() { opts.DialerRetries = 1 }},
	}
	for _, d := range defaults {
		if q == nil || !q.Query().Has(d.param) {
			d.set()
		}
	}
	return opts, nil
}

// allowScript checks and counts one request atomically. KEYS[1] is a sorted
// set of the key's admissions in the window, scored by admission time in
// microseconds of the Redis server's clock, so that instances with skewed
// clocks agree. ARGV: window (µs), limit, member to add on admission (empty
// to only peek), TTL (ms). Returns {allowed, admissions in window, reset µs}.
//
// TIME followed by writes needs effects replication, the default since
// Redis 5.
var allowScript = goredis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
-- An admission exactly one window old has left it, as in inmem.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local allowed = 0
if n < tonumber(ARGV[2]) then
	allowed = 1
	if ARGV[3] ~= '' then
		redis.call('ZADD', KEYS[1], now, ARGV[3])
		-- The newest admission leaves the window when the key expires, so
		-- idle keys need no sweeping.
		redis.call('PEXPIRE', KEYS[1], ARGV[4])
		n = n + 1
	end
end
local reset = 0
if n > 0 then
	local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
	reset = tonumber(oldest[2]) + window - now
end
return {allowed, n, reset}
`)

// RateLimiter is an exact sliding-window limiter shared by every instance
// that uses the same Redis and prefix: each check is one Lua script, which
// Redis runs atomically, so concurrent instances never admit more than the
// limit together. Semantics match inmem.RateLimiter, at microsecond
// resolution.
//
// Errors from Redis are returned (wrapped). docsapi serve puts this limiter
// behind inmem.FallbackRateLimiter, so that during an outage each instance
// limits on its own rather than failing every request.
type RateLimiter struct {
	client goredis.UniversalClient
	prefix string
	window string // µs
	ttl    string // ms
	// Admissions are sorted-set members, which must be unique even when
	// two instances admit in the same microsecond: a random id per limiter
	// plus a counter.
	id  string
	seq atomic.Uint64
}

// NewRateLimiter returns a limiter over a sliding window of the given length
// that keeps the admissions of key under prefix+key.
func NewRateLimiter(client goredis.UniversalClient, prefix string, window time.Duration) *RateLimiter {
	var b [8]byte
	rand.Read(b[:])
	return &RateLimiter{
		client: client,
		prefix: prefix,
		window: strconv.FormatInt(window.Microseconds(), 10),
		ttl:    strconv.FormatInt((window + time.Millisecond - 1).Milliseconds(), 10),
		id:     hex.EncodeToString(b[:]) + ":",
	}
}

// Allow admits and counts one request for key if fewer than limit were
// admitted in the window.
func (l *RateLimiter) Allow(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	return l.check(ctx, key, limit, l.id+strconv.FormatUint(l.seq.Add(1), 36))
}

// Peek reports what Allow would answer without counting.
func (l *RateLimiter) Peek(ctx context.Context, key string, limit int) (docsapi.RateLimit, error) {
	return l.check(ctx, key, limit, "")
}

func (l *RateLimiter) check(ctx context.Context, key string, limit int, member string) (docsapi.RateLimit, error) {
	v, err := allowScript.Run(ctx, l.client, []string{l.prefix + key}, l.window, limit, member, l.ttl).Int64Slice()
	if err != nil {
		return docsapi.RateLimit{}, fmt.Errorf("redis: rate limit %q: %w", key, err)
	}
	if len(v) != 3 {
		return docsapi.RateLimit{}, fmt.Errorf("redis: rate limit %q: script returned %d values", key, len(v))
	}
	return docsapi.RateLimit{
		Allowed:   v[0] == 1,
		Limit:     limit,
		Remaining: max(limit-int(v[1]), 0),
		Reset:     time.Duration(v[2]) * time.Microsecond,
	}, nil
}
