package http

import (
	"context"
	"crypto/sha256"
	"slices"
	"sync"
	"time"
	"unique"

	"github.com/docsapi/docsapi"
)

const (
	// keyCacheTTL bounds how stale a cached key may be: a revocation reaches
	// every instance within this time.
	keyCacheTTL = time.Second
	// keyKnownTTL is how long a secret that named a valid key stays known
	// after its last use. A known secret is not a guess, so it skips the
	// per-IP authentication-failure check even when its entry is stale.
	keyKnownTTL = 24 * time.Hour
)

// keyCache keeps keys found by secret hash, so that a busy key costs one
// store read a second rather than one a request. It is keyed by the
// SHA-256 sum itself, which costs no allocation to look up, where its hex
// form (the store's key) would cost a string per request.
type keyCache struct {
	svc   docsapi.APIKeyService
	mu    sync.Mutex
	m     map[[sha256.Size]byte]cachedKey
	swept time.Time
	now   func() time.Time
	epoch time.Time // what the entries' times count from
	// forgets counts Forget's calls: a key read from the store before one
	// is not cached, as it may predate the revocation.
	forgets uint64
}

// cachedKey is a key and when it was read from the store (for
// keyCacheTTL) and last used (for keyKnownTTL), as durations since the
// cache's epoch: a time.Time is three times the size. Durations between
// times from time.Now use the monotonic clock, so that a step back of the
// wall clock cannot keep a revoked key fresh. The handle keeps the key's
// account id shared with the other cached keys of the account for as long
// as one of them is cached (authFields).
type cachedKey struct {
	key     *docsapi.APIKey
	fetched time.Duration
	used    time.Duration
	account unique.Handle[string]
}

func newKeyCache(svc docsapi.APIKeyService) *keyCache {
	return &keyCache{svc: svc, m: map[[sha256.Size]byte]cachedKey{}, now: time.Now, epoch: time.Now()}
}

// Cached returns the key with this secret when the cache holds it fresh.
// Otherwise it reports whether the secret is known: it named a valid key
// when last fetched, so it must be looked up again but is not a guess.
func (c *keyCache) Cached(secret string) (key *docsapi.APIKey, fresh, known bool) {
	hash := secretSum(secret)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok {
		return nil, false, false
	}
	e.used = now.Sub(c.epoch)
	c.m[hash] = e
	if e.used-e.fetched < keyCacheTTL {
		return e.key, true, false
	}
	return nil, false, e.key.RevokedAt == nil
}

// Find returns the key with this secret from the store, or nil when there
// is none, and caches what it found.
func (c *keyCache) Find(ctx context.Context, secret string) (*docsapi.APIKey, error) {
	now := c.now()
	c.mu.Lock()
	forgets := c.forgets
	c.mu.Unlock()
	key, err := c.svc.FindAPIKeyByHash(ctx, docsapi.HashSecret(secret))
	if docsapi.ErrorCode(err) == docsapi.ENOTFOUND {
		// Unknown hashes are not cached: guesses would fill the cache.
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	e := authFields(key)
	e.fetched = now.Sub(c.epoch)
	e.used = e.fetched
	c.mu.Lock()
	if now.Sub(c.swept) >= time.Minute {
		c.sweep(now)
	}
	if c.forgets == forgets {
		c.m[secretSum(secret)] = e
	}
	c.mu.Unlock()
	return e.key, nil
}

// Forget makes the next request with the key id read it from the store: a
// key revoked through this instance is refused here at once, where other
// instances take up to keyCacheTTL. It runs once a key, at its revocation,
// so walking every entry (about a millisecond at 100,000) costs less than
// an index by id.
func (c *keyCache) Forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	for h, e := range c.m {
		if e.key.ID == id {
			// Stale, still known: the next use looks the key up again.
			e.fetched = e.used - keyCacheTTL
			c.m[h] = e
		}
	}
}

// authFields is the cache entry of k, with a copy of what authentication
// and the handlers read of it (handlers that show a key read it from the
// store): a server that has seen 100,000 keys holds about 12 MB less of
// name, prefix, hash and last use. The account id and the scope names are
// the ones other cached keys share: with 100,000 keys of one account, the
// server's RSS was 18 MB lower (docs/performance.md, ninth round).
func authFields(k *docsapi.APIKey) cachedKey {
	account := unique.Make(k.AccountID)
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = sharedScope(s)
	}
	return cachedKey{account: account, key: &docsapi.APIKey{ID: k.ID, AccountID: account.Value(),
		Scopes: scopes, RateLimit: k.RateLimit, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}}
}

// sharedScope returns the docsapi.Scopes name equal to s, or s itself when
// it names no scope (and so grants nothing).
func sharedScope(s string) string {
	if i := slices.Index(docsapi.Scopes, s); i >= 0 {
		return docsapi.Scopes[i]
	}
	return s
}

// secretSum is the SHA-256 sum whose hex form docsapi.HashSecret returns.
// The secret is copied to the stack: converting it with []byte(secret)
// would allocate, secrets being longer than the runtime's small buffer.
func secretSum(secret string) [sha256.Size]byte {
	var buf [64]byte
	return sha256.Sum256(append(buf[:0], secret...))
}

// sweep drops the entries of keys not used for keyKnownTTL, so the cache
// holds at most the keys in use; the caller holds mu.
func (c *keyCache) sweep(now time.Time) {
	c.swept = now
	for h, e := range c.m {
		if now.Sub(c.epoch)-e.used >= keyKnownTTL {
			delete(c.m, h)
		}
	}
}
