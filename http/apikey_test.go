package http_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docsapi/docsapi"
)

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/api_keys", e.rootKey, map[string]any{"name": "ci", "scopes": []string{"resources:read"}, "rate_limit": 7}).want(t, 201)
	k := r.json(t)
	secret, id := k["secret"].(string), k["id"].(string)
	if !docsapi.ValidSecret(secret) || !strings.HasPrefix(id, "key_") || k["object"] != "api_key" ||
		k["prefix"] != secret[:12] || k["rate_limit"] != 7.0 || fmt.Sprint(k["scopes"]) != "[resources:read]" ||
		k["last_used_at"] != nil || k["revoked_at"] != nil {
		t.Fatalf("created %s", r.body)
	}
	got := e.do("GET", "/v1/api_keys/"+id, e.rootKey, nil).want(t, 200)
	if strings.Contains(string(got.body), secret) || got.json(t)["secret"] != nil {
		t.Fatalf("retrieve shows the secret: %s", got.body)
	}
	if strings.Contains(string(e.do("GET", "/v1/api_keys?limit=100", e.rootKey, nil).want(t, 200).body), secret) {
		t.Fatal("list shows a secret")
	}

	// The new key works within its scope and its own rate limit.
	rr := e.do("GET", "/v1/resources", secret, nil).want(t, 200)
	if rr.header.Get("RateLimit-Policy") != `"default";q=7;w=1` {
		t.Errorf("RateLimit-Policy = %q", rr.header.Get("RateLimit-Policy"))
	}

	// last_used_at is written off the request path, soon after use.
	e.do("GET", "/v1/requests?limit=1", e.rootKey, nil).want(t, 200) // flushes the log queue
	if e.do("GET", "/v1/api_keys/"+id, e.rootKey, nil).json(t)["last_used_at"] == nil {
		t.Error("last_used_at not set after use")
	}

	rev := e.do("DELETE", "/v1/api_keys/"+id, e.rootKey, nil).want(t, 200).json(t)
	if rev["revoked_at"] == nil || rev["id"] != id {
		t.Fatalf("revoke: %v", rev)
	}
	// The instance that revoked the key refuses it at once, although the
	// key was cached a moment ago; others take up to a second.
	e.do("GET", "/v1/resources", secret, nil).wantError(t, 401, docsapi.EUNAUTHORIZED, "")
	again := e.do("DELETE", "/v1/api_keys/"+id, e.rootKey, nil).want(t, 200).json(t)
	if again["revoked_at"] != rev["revoked_at"] {
		t.Errorf("second revoke moved revoked_at: %v then %v", rev["revoked_at"], again["revoked_at"])
	}
	e.do("GET", "/v1/api_keys/key_nope", e.rootKey, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
	e.do("DELETE", "/v1/api_keys/key_nope", e.rootKey, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
	// Only the revocation itself walked the key cache: not the second
	// one, which changed nothing, nor the 404.
	if n := e.srv.KeyForgets(); n != 1 {
		t.Errorf("the key cache forgot %d times, want 1", n)
	}
}

func TestAPIKeyValidationAndGrants(t *testing.T) {
	e := newEnv(t)
	keyAdmin, _ := e.newKey(0, docsapi.ScopeKeysWrite, docsapi.ScopeResourcesRead)
	tests := []struct {
		name        string
		key         string
		body        any
		status      int
		code, param string
	}{
		{"missing name", e.rootKey, map[string]any{"scopes": []string{"*"}}, 400, docsapi.EPARAMMISSING, "name"},
		{"missing scopes", e.rootKey, map[string]any{"name": "k"}, 400, docsapi.EPARAMMISSING, "scopes"},
		{"empty scopes", e.rootKey, map[string]any{"name": "k", "scopes": []string{}}, 400, docsapi.EPARAMMISSING, "scopes"},
		{"unknown scope", e.rootKey, map[string]any{"name": "k", "scopes": []string{"admin"}}, 400, docsapi.EPARAMINVALID, "scopes"},
		{"scopes not an array", e.rootKey, map[string]any{"name": "k", "scopes": "*"}, 400, docsapi.EPARAMINVALID, "scopes"},
		{"rate limit zero", e.rootKey, map[string]any{"name": "k", "scopes": []string{"*"}, "rate_limit": 0}, 400, docsapi.EPARAMINVALID, "rate_limit"},
		{"rate limit too high", e.rootKey, map[string]any{"name": "k", "scopes": []string{"*"}, "rate_limit": 100001}, 400, docsapi.EPARAMINVALID, "rate_limit"},
		{"rate limit fractional", e.rootKey, map[string]any{"name": "k", "scopes": []string{"*"}, "rate_limit": 1.5}, 400, docsapi.EPARAMINVALID, "rate_limit"},
		{"unknown field", e.rootKey, map[string]any{"name": "k", "scopes": []string{"*"}, "secret": "x"}, 400, docsapi.EPARAMINVALID, "secret"},
		{"grant a scope not held", keyAdmin, map[string]any{"name": "k", "scopes": []string{"resources:write"}}, 403, docsapi.EFORBIDDEN, "scopes"},
		{"grant * without *", keyAdmin, map[string]any{"name": "k", "scopes": []string{"*"}}, 403, docsapi.EFORBIDDEN, "scopes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do("POST", "/v1/api_keys", tt.key, tt.body).wantError(t, tt.status, tt.code, tt.param)
		})
	}
	// A key may grant what it holds.
	e.do("POST", "/v1/api_keys", keyAdmin, map[string]any{"name": "k", "scopes": []string{"resources:read"}}).want(t, 201)
	e.do("POST", "/v1/api_keys", e.rootKey, map[string]any{"name": "k", "scopes": []string{"*"}, "rate_limit": 100000}).want(t, 201)
}

// TestAPIKeySecretShownOnce: the secret is in the creating response only;
// an idempotent replay returns the key without it, and no file holds it.
func TestAPIKeySecretShownOnce(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"name": "ci", "scopes": []string{"resources:read"}}
	first := e.do("POST", "/v1/api_keys", e.rootKey, body, "Idempotency-Key", "new-key").want(t, 201)
	secret := first.str(t, "secret")
	if !docsapi.ValidSecret(secret) {
		t.Fatalf("no secret in %s", first.body)
	}
	replay := e.do("POST", "/v1/api_keys", e.rootKey, body, "Idempotency-Key", "new-key").want(t, 201)
	if replay.header.Get("Idempotent-Replayed") != "true" || strings.Contains(string(replay.body), secret) ||
		replay.json(t)["secret"] != nil || replay.str(t, "id") != first.str(t, "id") {
		t.Fatalf("replay %s", replay.body)
	}
	e.do("GET", "/v1/resources", secret, nil).want(t, 200)
	if e.path == "" {
		return // PostgreSQL's copy of this check reads its tables (postgres tests)
	}
	e.srv.Close()
	e.closeDB()
	for _, f := range []string{e.path, e.path + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), secret[len(docsapi.SecretPrefix):]) {
			t.Fatalf("%s holds the secret", f)
		}
	}
}

// TestRestrictedKeysCannotEscalate: a key may grant only what it holds (its
// scopes, at most its rate limit) and revoke only keys no stronger than
// itself; a * key may do all of it. Refusals are 403 naming the param.
func TestRestrictedKeysCannotEscalate(t *testing.T) {
	e := newEnv(t)
	_, rootID := e.newKey(0, docsapi.ScopeAll)
	admin, adminID := e.newKey(5, docsapi.ScopeKeysWrite, docsapi.ScopeKeysRead)
	_, readerID := e.newKey(0, docsapi.ScopeResourcesRead)
	_, peerID := e.newKey(0, docsapi.ScopeKeysWrite)
	t.Run("grant", func(t *testing.T) {
		tests := []struct {
			name   string
			body   map[string]any
			status int
			param  string
			limit  float64
		}{
			{"a rate limit above its own", map[string]any{"name": "k", "scopes": []string{"keys:read"}, "rate_limit": 100000}, 403, "rate_limit", 0},
			{"one more than its own", map[string]any{"name": "k", "scopes": []string{"keys:read"}, "rate_limit": 6}, 403, "rate_limit", 0},
			{"a scope it lacks", map[string]any{"name": "k", "scopes": []string{"resources:read"}, "rate_limit": 1}, 403, "scopes", 0},
			{"its own rate limit", map[string]any{"name": "k", "scopes": []string{"keys:read"}, "rate_limit": 5}, 201, "", 5},
			{"no rate limit: the default, capped at its own", map[string]any{"name": "k", "scopes": []string{"keys:read"}}, 201, "", 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do("POST", "/v1/api_keys", admin, tt.body)
				if tt.status != 201 {
					r.wantError(t, tt.status, docsapi.EFORBIDDEN, tt.param)
					return
				}
				if got := r.want(t, 201).json(t)["rate_limit"]; got != tt.limit {
					t.Errorf("rate_limit = %v, want %v", got, tt.limit)
				}
			})
		}
		// A * key grants above its own limit, and the default without one.
		star, _ := e.newKey(1, docsapi.ScopeAll)
		e.do("POST", "/v1/api_keys", star, map[string]any{"name": "k", "scopes": []string{"*"}, "rate_limit": 100000}).want(t, 201)
		time.Sleep(time.Second) // star's limit is 1 a second
		if got := e.do("POST", "/v1/api_keys", star, map[string]any{"name": "k", "scopes": []string{"*"}}).want(t, 201).json(t)["rate_limit"]; got != 100.0 {
			t.Errorf("a * key's default grant: rate_limit %v", got)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		time.Sleep(time.Second) // admin's limit is 5 a second
		e.do("DELETE", "/v1/api_keys/"+rootID, admin, nil).wantError(t, 403, docsapi.EFORBIDDEN, "scopes")
		e.do("DELETE", "/v1/api_keys/"+readerID, admin, nil, "Idempotency-Key", "rv").wantError(t, 403, docsapi.EFORBIDDEN, "scopes")
		for _, id := range []string{rootID, readerID} {
			if got := e.do("GET", "/v1/api_keys/"+id, e.rootKey, nil).want(t, 200).json(t)["revoked_at"]; got != nil {
				t.Fatalf("%s was revoked by a weaker key", id)
			}
		}
		// A key no stronger than the admin (a subset of its scopes) may go;
		// so may the admin itself. A missing key is still a 404.
		e.do("DELETE", "/v1/api_keys/"+peerID, admin, nil).want(t, 200)
		e.do("DELETE", "/v1/api_keys/key_missing", admin, nil).wantError(t, 404, docsapi.ENOTFOUND, "id")
		time.Sleep(time.Second)
		e.do("DELETE", "/v1/api_keys/"+adminID, admin, nil).want(t, 200)
		// The 403 was not stored: the same Idempotency-Key works for a * key.
		e.do("DELETE", "/v1/api_keys/"+readerID, e.rootKey, nil, "Idempotency-Key", "rv").want(t, 200)
	})
}
