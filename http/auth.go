package http

import (
	"context"
	"sync"
	"time"

	"github.com/docsapi/docsapi"
)

// keyCacheTTL bounds how stale a cached key may be: a revocation reaches
// every instance within this time.
const keyCacheTTL = time.Second

// keyCache keeps keys found by secret hash for keyCacheTTL, so that a busy
// key costs one store read a second rather than one a request.
type keyCache struct {
	svc docsapi.APIKeyService
	mu  sync.Mutex
	m   map[string]cachedKey
	now func() time.Time
}

type cachedKey struct {
	key     *docsapi.APIKey
	fetched time.Time
}

func newKeyCache(svc docsapi.APIKeyService) *keyCache {
	return &keyCache{svc: svc, m: map[string]cachedKey{}, now: time.Now}
}

// Cached returns the key with this secret when the cache holds it fresh.
func (c *keyCache) Cached(secret string) (*docsapi.APIKey, bool) {
	c.mu.Lock()
	e, ok := c.m[docsapi.HashSecret(secret)]
	c.mu.Unlock()
	if !ok || c.now().Sub(e.fetched) >= keyCacheTTL {
		return nil, false
	}
	return e.key, true
}

// Find returns the key with this secret from the store, or nil when there
// is none, and caches what it found.
func (c *keyCache) Find(ctx context.Context, secret string) (*docsapi.APIKey, error) {
	hash := docsapi.HashSecret(secret)
	now := c.now()
	key, err := c.svc.FindAPIKeyByHash(ctx, hash)
	if docsapi.ErrorCode(err) == docsapi.ENOTFOUND {
		// Unknown hashes are not cached: guesses would fill the cache.
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) > 100_000 {
		c.sweep(now)
	}
	c.m[hash] = cachedKey{key: key, fetched: now}
	c.mu.Unlock()
	return key, nil
}

// sweep drops expired entries; the caller holds mu.
func (c *keyCache) sweep(now time.Time) {
	for h, e := range c.m {
		if now.Sub(e.fetched) >= keyCacheTTL {
			delete(c.m, h)
		}
	}
}
