package http

import (
	"context"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/docsapi/docsapi"
	"github.com/docsapi/docsapi/sqlite"
)

// keyCacheStore is a migrated SQLite file with one account; it returns the
// key service and a function that stores a new key of that account with
// the given scopes and returns its secret.
func keyCacheStore(t *testing.T) (docsapi.APIKeyService, func(scopes ...string) string) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := sqlite.NewServices(db)
	acct, _, _, err := svc.Accounts.CreateAccount(ctx, "cache", "")
	if err != nil {
		t.Fatal(err)
	}
	return svc.APIKeys, func(scopes ...string) string {
		t.Helper()
		secret := docsapi.NewSecret()
		k := &docsapi.APIKey{ID: docsapi.NewID(docsapi.PrefixAPIKey), AccountID: acct.ID, Name: "k", Scopes: scopes,
			RateLimit: docsapi.DefaultRateLimit, CreatedAt: docsapi.Now()}
		k.SetSecret(secret)
		if err := svc.APIKeys.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		return secret
	}
}

// TestKeyCacheLifetimes: a found key is fresh for keyCacheTTL, then known
// but stale until keyKnownTTL after its last use, then swept; an unknown
// secret is never cached.
func TestKeyCacheLifetimes(t *testing.T) {
	svc, newKey := keyCacheStore(t)
	secret := newKey(docsapi.ScopeResourcesRead)
	c := newKeyCache(svc)
	now := time.Unix(1_800_000_000, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()

	if k, err := c.Find(ctx, docsapi.NewSecret()); err != nil || k != nil {
		t.Fatalf("Find(unknown) = %v, %v; want nil, nil", k, err)
	}
	if len(c.m) != 0 {
		t.Fatalf("an unknown secret was cached: %d entries", len(c.m))
	}
	found, err := c.Find(ctx, secret)
	if err != nil || found == nil {
		t.Fatalf("Find = %v, %v", found, err)
	}
	for _, tc := range []struct {
		name         string
		after        time.Duration // since the previous step
		fresh, known bool
	}{
		{"at once", 0, true, false},
		{"just within the TTL", keyCacheTTL - time.Nanosecond, true, false},
		{"at the TTL", time.Nanosecond, false, true},
		{"a day after the last use, less a nanosecond", keyKnownTTL - time.Nanosecond, false, true},
	} {
		now = now.Add(tc.after)
		k, fresh, known := c.Cached(secret)
		if fresh != tc.fresh || known != tc.known || (k == found) != tc.fresh {
			t.Errorf("%s: Cached = %p, %v, %v; want fresh %v, known %v", tc.name, k, fresh, known, tc.fresh, tc.known)
		}
	}
	now = now.Add(keyKnownTTL)
	c.mu.Lock()
	c.sweep(now)
	c.mu.Unlock()
	if _, fresh, known := c.Cached(secret); fresh || known {
		t.Errorf("after a day unused: fresh %v, known %v; want neither", fresh, known)
	}
}

// TestKeyCacheSharesAccountAndScopes: cached keys of one account with the
// same scopes hold one copy of the account id and of the scope names, and
// each still has its own id and what authentication reads.
func TestKeyCacheSharesAccountAndScopes(t *testing.T) {
	svc, newKey := keyCacheStore(t)
	c := newKeyCache(svc)
	ctx := context.Background()
	var keys []*docsapi.APIKey
	for _, scopes := range [][]string{
		{docsapi.ScopeResourcesRead, docsapi.ScopeResourcesWrite},
		{docsapi.ScopeResourcesRead, docsapi.ScopeResourcesWrite},
		{docsapi.ScopeResourcesRead},
	} {
		k, err := c.Find(ctx, newKey(scopes...))
		if err != nil || k == nil {
			t.Fatalf("Find = %v, %v", k, err)
		}
		if len(k.Scopes) != len(scopes) || !k.HasScope(scopes[0]) || k.RateLimit != docsapi.DefaultRateLimit {
			t.Fatalf("cached key %+v; want scopes %v, rate limit %d", k, scopes, docsapi.DefaultRateLimit)
		}
		keys = append(keys, k)
	}
	if keys[0].ID == keys[1].ID {
		t.Fatal("two keys cached with one id")
	}
	if unsafe.StringData(keys[0].AccountID) != unsafe.StringData(keys[2].AccountID) {
		t.Error("the account id is copied per key")
	}
	if unsafe.StringData(keys[0].Scopes[0]) != unsafe.StringData(keys[1].Scopes[0]) {
		t.Error("a scope set is copied per key")
	}
	if keys[1].HasScope(docsapi.ScopeResourcesWrite) == keys[2].HasScope(docsapi.ScopeResourcesWrite) {
		t.Error("keys with different scopes share them")
	}
}
