package http

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/sqlite"
)

// keyCacheStore is a migrated SQLite file; newAccount adds an account and
// returns its id, newKey adds a key of an account and returns its secret
// and id.
type keyCacheStore struct {
	t   *testing.T
	svc docsapi.Services
}

func newKeyCacheStore(t *testing.T) *keyCacheStore {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &keyCacheStore{t: t, svc: sqlite.NewServices(db)}
}

func (s *keyCacheStore) newAccount() string {
	s.t.Helper()
	acct, _, _, err := s.svc.Accounts.CreateAccount(context.Background(), "cache", "")
	if err != nil {
		s.t.Fatal(err)
	}
	return acct.ID
}

func (s *keyCacheStore) newKey(accountID string, scopes ...string) (secret, id string) {
	s.t.Helper()
	secret = docsapi.NewSecret()
	k := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: accountID, Name: "k", Scopes: scopes,
		RateLimit: docsapi.DefaultRateLimit, CreatedAt: docsapi.Now()}
	k.SetSecret(secret)
	if err := s.svc.APIKeys.CreateAPIKey(context.Background(), k); err != nil {
		s.t.Fatal(err)
	}
	return secret, k.ID
}

// TestKeyCacheLifetimes: a found key is fresh for keyCacheTTL, then known
// but stale until keyKnownTTL after its last use, when a sweep drops it;
// an unknown secret is never cached, and a revoked key is not known once
// stale.
func TestKeyCacheLifetimes(t *testing.T) {
	store := newKeyCacheStore(t)
	acct := store.newAccount()
	secret, _ := store.newKey(acct, docsapi.ScopeResourcesRead)
	revokedSecret, revokedID := store.newKey(acct, docsapi.ScopeResourcesRead)
	ctx := context.Background()
	if _, err := store.svc.APIKeys.RevokeAPIKey(ctx, acct, revokedID); err != nil {
		t.Fatal(err)
	}
	c := newKeyCache(store.svc.APIKeys)
	now := time.Unix(1_800_000_000, 0)
	c.now = func() time.Time { return now }

	if k, err := c.Find(ctx, docsapi.NewSecret()); err != nil || k != nil {
		t.Fatalf("Find(unknown) = %v, %v; want nil, nil", k, err)
	}
	if len(c.m) != 0 {
		t.Fatalf("an unknown secret was cached: %d entries", len(c.m))
	}
	found, err := c.Find(ctx, secret)
	if err != nil || found == nil || found.RevokedAt != nil {
		t.Fatalf("Find = %+v, %v; want the key", found, err)
	}
	revoked, err := c.Find(ctx, revokedSecret)
	if err != nil || revoked == nil || revoked.RevokedAt == nil {
		t.Fatalf("Find(revoked) = %+v, %v; want the key, revoked", revoked, err)
	}
	sweep := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.sweep(now)
	}
	for _, tc := range []struct {
		name         string
		after        time.Duration // since the previous step
		sweep        bool
		fresh, known bool
		// checkRevoked: the revoked key, cached as long, is neither fresh
		// nor known.
		checkRevoked bool
	}{
		{"at once", 0, false, true, false, false},
		{"just within the TTL", keyCacheTTL - time.Nanosecond, false, true, false, false},
		{"at the TTL", time.Nanosecond, false, false, true, true},
		{"swept a day after the last use, less a nanosecond", keyKnownTTL - time.Nanosecond, true, false, true, false},
		{"swept a day after the last use", keyKnownTTL, true, false, false, false},
	} {
		now = now.Add(tc.after)
		if tc.sweep {
			sweep()
		}
		k, fresh, known := c.Cached(secret)
		if fresh != tc.fresh || known != tc.known || (k == found) != tc.fresh {
			t.Errorf("%s: Cached = %p, %v, %v; want fresh %v, known %v", tc.name, k, fresh, known, tc.fresh, tc.known)
		}
		if tc.checkRevoked {
			if _, fresh, known := c.Cached(revokedSecret); fresh || known {
				t.Errorf("%s: revoked key fresh %v, known %v; want neither", tc.name, fresh, known)
			}
		}
	}

	// Find sweeps once a minute has passed since the last sweep.
	if _, err := c.Find(ctx, secret); err != nil {
		t.Fatal(err)
	}
	now = now.Add(keyKnownTTL)
	other, _ := store.newKey(acct, docsapi.ScopeResourcesRead)
	if _, err := c.Find(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, _, known := c.Cached(secret); known {
		t.Error("Find did not sweep an entry unused for a day")
	}
}

// TestKeyCacheSharesAccountAndScopes: cached keys hold their own account
// id, scopes and id, and keys of one account share the account id's
// bytes, as all keys share the scope names'.
func TestKeyCacheSharesAccountAndScopes(t *testing.T) {
	store := newKeyCacheStore(t)
	acct1, acct2 := store.newAccount(), store.newAccount()
	c := newKeyCache(store.svc.APIKeys)
	ctx := context.Background()
	tests := []struct {
		account string
		scopes  []string
	}{
		{acct1, []string{docsapi.ScopeResourcesRead, docsapi.ScopeResourcesWrite}},
		{acct1, []string{docsapi.ScopeResourcesRead, docsapi.ScopeResourcesWrite}},
		{acct1, []string{docsapi.ScopeResourcesRead}},
		{acct2, []string{docsapi.ScopeAll}},
	}
	keys := make([]*docsapi.APIKey, len(tests))
	for i, tc := range tests {
		secret, id := store.newKey(tc.account, tc.scopes...)
		k, err := c.Find(ctx, secret)
		if err != nil || k == nil {
			t.Fatalf("Find = %v, %v", k, err)
		}
		if k.ID != id || k.AccountID != tc.account || !slices.Equal(k.Scopes, tc.scopes) || k.RateLimit != docsapi.DefaultRateLimit {
			t.Fatalf("cached key %+v; want id %s, account %s, scopes %v, rate limit %d", k, id, tc.account, tc.scopes, docsapi.DefaultRateLimit)
		}
		keys[i] = k
	}
	if unsafe.StringData(keys[0].AccountID) != unsafe.StringData(keys[2].AccountID) {
		t.Error("the account id is copied per key")
	}
	if unsafe.StringData(keys[0].Scopes[0]) != unsafe.StringData(keys[2].Scopes[0]) {
		t.Error("a scope name is copied per key")
	}
	if keys[1].HasScope(docsapi.ScopeResourcesWrite) == keys[2].HasScope(docsapi.ScopeResourcesWrite) {
		t.Error("keys with different scopes share them")
	}
}

// forgetDuringRead is an APIKeyService whose key read is overtaken by a
// revocation's Forget, as a request that read the key just before the
// revocation committed would be.
type forgetDuringRead struct {
	docsapi.APIKeyService
	cache *keyCache
	id    string
}

func (f *forgetDuringRead) FindAPIKeyByHash(ctx context.Context, hash string) (*docsapi.APIKey, error) {
	k, err := f.APIKeyService.FindAPIKeyByHash(ctx, hash)
	f.cache.Forget(f.id)
	return k, err
}

// TestKeyCacheForget: after Forget, a cached key is read from the store
// again, and a read that began before a Forget is not cached.
func TestKeyCacheForget(t *testing.T) {
	s := newKeyCacheStore(t)
	acct := s.newAccount()
	secret, id := s.newKey(acct, docsapi.ScopeAll)
	other, _ := s.newKey(acct, docsapi.ScopeAll)
	c := newKeyCache(s.svc.APIKeys)
	for _, sec := range []string{secret, other} {
		if _, err := c.Find(context.Background(), sec); err != nil {
			t.Fatal(err)
		}
	}
	c.Forget(id)
	if _, fresh, known := c.Cached(secret); fresh || !known {
		t.Errorf("forgotten key: fresh %v, known %v; want stale and known", fresh, known)
	}
	if _, fresh, _ := c.Cached(other); !fresh {
		t.Error("Forget of one key made another stale")
	}

	overtaken := newKeyCache(nil)
	overtaken.svc = &forgetDuringRead{APIKeyService: s.svc.APIKeys, cache: overtaken, id: id}
	if k, err := overtaken.Find(context.Background(), secret); err != nil || k == nil || k.ID != id {
		t.Fatalf("Find: %v, %v", k, err)
	}
	if _, fresh, known := overtaken.Cached(secret); fresh || known {
		t.Errorf("a read overtaken by Forget was cached: fresh %v, known %v", fresh, known)
	}
}
