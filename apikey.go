package docsapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Scopes an API key can hold. ScopeAll grants every other scope.
const (
	ScopeResourcesRead  = "resources:read"
	ScopeResourcesWrite = "resources:write"
	ScopeKeysRead       = "keys:read"
	ScopeKeysWrite      = "keys:write"
	ScopeLogsRead       = "logs:read"
	ScopeAll            = "*"
)

// Scopes lists every valid scope.
var Scopes = []string{ScopeResourcesRead, ScopeResourcesWrite, ScopeKeysRead, ScopeKeysWrite, ScopeLogsRead, ScopeAll}

// Key secrets and rate limits.
const (
	SecretPrefix     = "sk_live_"
	secretRandomLen  = 32
	displayPrefixLen = len(SecretPrefix) + 4

	DefaultRateLimit = 100
	MaxRateLimit     = 100000
)

// APIKey authenticates requests for one account. Only the SHA-256 hash of
// its secret is stored.
type APIKey struct {
	ID         string
	AccountID  string
	Name       string
	Scopes     []string
	RateLimit  int
	Prefix     string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// HasScope reports whether the key grants scope.
func (k *APIKey) HasScope(scope string) bool {
	return slices.Contains(k.Scopes, ScopeAll) || slices.Contains(k.Scopes, scope)
}

// CanGrant reports whether a key with k's scopes may create a key with scopes.
func (k *APIKey) CanGrant(scopes []string) bool {
	for _, s := range scopes {
		if !k.HasScope(s) {
			return false
		}
	}
	return true
}

// CheckGrant refuses a new key that would be stronger than k: a scope k
// lacks, or a rate limit above k's own. A * key may grant anything.
// Errors: EFORBIDDEN (param scopes or rate_limit).
func (k *APIKey) CheckGrant(n *APIKey) error {
	if !k.CanGrant(n.Scopes) {
		return ParamErrorf(EFORBIDDEN, "scopes", "This API key cannot grant scopes that it does not hold itself.")
	}
	if n.RateLimit > k.MaxGrantableRateLimit() {
		return ParamErrorf(EFORBIDDEN, "rate_limit", "This API key cannot grant a rate_limit above its own (%d).", k.RateLimit)
	}
	return nil
}

// CheckRevoke refuses to let k revoke a key holding a scope that k lacks.
// Errors: EFORBIDDEN (param scopes).
func (k *APIKey) CheckRevoke(target *APIKey) error {
	if !k.CanGrant(target.Scopes) {
		return ParamErrorf(EFORBIDDEN, "scopes", "This API key cannot revoke a key with scopes that it does not hold itself.")
	}
	return nil
}

// GrantedRateLimit is the rate limit of a key that k creates without naming
// one: the default, but never more than a restricted k may grant.
func (k *APIKey) GrantedRateLimit() int {
	if k.HasScope(ScopeAll) {
		return DefaultRateLimit
	}
	return min(DefaultRateLimit, k.RateLimit)
}

// MaxGrantableRateLimit is the highest rate limit k may give a new key.
func (k *APIKey) MaxGrantableRateLimit() int {
	if k.HasScope(ScopeAll) {
		return MaxRateLimit
	}
	return k.RateLimit
}

// NewSecret returns a new key secret.
func NewSecret() string { return SecretPrefix + RandomBase62(secretRandomLen) }

// ValidSecret reports whether s has the shape of a key secret.
func ValidSecret(s string) bool {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	return ok && len(rest) == secretRandomLen && IsBase62(rest)
}

// HashSecret returns the hex SHA-256 of a secret, the form stored at rest.
// Secrets carry 190 bits of entropy, so a plain hash is enough.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Issue makes k a new key of the account: its id, creation time and a new
// secret, which it returns; only the secret's hash and prefix are kept.
func (k *APIKey) Issue(accountID string) (secret string) {
	k.ID, k.AccountID, k.CreatedAt = NewID(PrefixAPIKey), accountID, Now()
	secret = NewSecret()
	k.SetSecret(secret)
	return secret
}

// SetSecret fills the key's hash and display prefix from secret.
func (k *APIKey) SetSecret(secret string) {
	k.Hash = HashSecret(secret)
	k.Prefix = secret[:displayPrefixLen]
}

// Normalize checks the fields that a caller sets and puts them in their
// stored form: the name trimmed, the scopes sorted without repeats, and the
// default rate limit for none.
func (k *APIKey) Normalize() error {
	name, err := NormalizeName(k.Name)
	if err != nil {
		return err
	}
	k.Name = name
	if len(k.Scopes) == 0 {
		return ParamErrorf(EPARAMMISSING, "scopes", "Missing required parameter: scopes.")
	}
	for _, s := range k.Scopes {
		if !slices.Contains(Scopes, s) {
			return ParamErrorf(EPARAMINVALID, "scopes", "Unknown scope %q; valid scopes are %s.", s, strings.Join(Scopes, ", "))
		}
	}
	k.Scopes = slices.Compact(slices.Sorted(slices.Values(k.Scopes)))
	if k.RateLimit == 0 {
		k.RateLimit = DefaultRateLimit
	}
	if k.RateLimit < 1 || k.RateLimit > MaxRateLimit {
		return ParamErrorf(EPARAMINVALID, "rate_limit", "Rate limit must be between 1 and %d.", MaxRateLimit)
	}
	return nil
}

// APIKeyService manages API keys.
type APIKeyService interface {
	// CreateAPIKey stores k, whose ID, Hash and Prefix must be set.
	// Errors: EINTERNAL.
	CreateAPIKey(ctx context.Context, k *APIKey) error

	// FindAPIKeyByHash returns the key with that secret hash, revoked or not.
	// Errors: ENOTFOUND, EINTERNAL.
	FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)

	// FindAPIKeyByID returns one of the account's keys.
	// Errors: ENOTFOUND, EINTERNAL.
	FindAPIKeyByID(ctx context.Context, accountID, id string) (*APIKey, error)

	// FindAPIKeys returns one page of the account's keys, newest first, and
	// whether more follow in the direction of paging.
	// Errors: EPARAMINVALID (unknown cursor), EINTERNAL.
	FindAPIKeys(ctx context.Context, accountID string, p ListParams) ([]*APIKey, bool, error)

	// RevokeAPIKey sets the key's revoked_at unless already set and returns it.
	// Errors: ENOTFOUND, EINTERNAL.
	RevokeAPIKey(ctx context.Context, accountID, id string) (*APIKey, error)

	// TouchAPIKey sets the key's last_used_at. Errors: EINTERNAL.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// APIKeyStore is the SQL an engine runs for the APIKeyService that
// NewAPIKeyService builds around it.
type APIKeyStore interface {
	// InsertAPIKey stores k. Errors: EINTERNAL.
	InsertAPIKey(ctx context.Context, k *APIKey) error

	// FindAPIKeyByHash returns the key with that secret hash, or nil.
	// Errors: EINTERNAL.
	FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)

	// FindAPIKey returns one of the account's keys, or nil.
	// Errors: EINTERNAL.
	FindAPIKey(ctx context.Context, accountID, id string) (*APIKey, error)

	// ListAPIKeys returns the page's keys in the order read, with the
	// look-ahead row that FinishPage trims.
	// Errors: EINTERNAL.
	ListAPIKeys(ctx context.Context, accountID string, p ListParams) ([]*APIKey, error)

	// RevokeAPIKey sets the key's revoked_at to at unless already set, ends
	// its Dashboard sessions, and returns it; nil when the account has no
	// such key. It is atomic, so that concurrent revocations agree on the
	// time.
	// Errors: EINTERNAL.
	RevokeAPIKey(ctx context.Context, accountID, id string, at time.Time) (*APIKey, error)

	// TouchAPIKey sets the key's last_used_at to at. Errors: EINTERNAL.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// NewAPIKeyService returns the APIKeyService over an engine's store.
func NewAPIKeyService(st APIKeyStore) APIKeyService { return apiKeyService{st} }

type apiKeyService struct{ st APIKeyStore }

func (s apiKeyService) CreateAPIKey(ctx context.Context, k *APIKey) error {
	return s.st.InsertAPIKey(ctx, k)
}

func (s apiKeyService) FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	k, err := s.st.FindAPIKeyByHash(ctx, hash)
	if err == nil && k == nil {
		// No id to name: the caller holds only a secret.
		return nil, Errorf(ENOTFOUND, "No such API key.")
	}
	return k, err
}

func (s apiKeyService) FindAPIKeyByID(ctx context.Context, accountID, id string) (*APIKey, error) {
	k, err := s.st.FindAPIKey(ctx, accountID, id)
	if err == nil && k == nil {
		return nil, NotFound("API key", id)
	}
	return k, err
}

func (s apiKeyService) FindAPIKeys(ctx context.Context, accountID string, p ListParams) ([]*APIKey, bool, error) {
	items, err := s.st.ListAPIKeys(ctx, accountID, p)
	if err != nil {
		return nil, false, err
	}
	items, more := FinishPage(items, p)
	return items, more, nil
}

func (s apiKeyService) RevokeAPIKey(ctx context.Context, accountID, id string) (*APIKey, error) {
	k, err := s.st.RevokeAPIKey(ctx, accountID, id, Now())
	if err == nil && k == nil {
		return nil, NotFound("API key", id)
	}
	return k, err
}

func (s apiKeyService) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.st.TouchAPIKey(ctx, id, at)
}
