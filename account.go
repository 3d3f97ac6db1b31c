package docsapi

import (
	"context"
	"time"
)

// Account owns API keys and every other object; nothing crosses accounts.
type Account struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// AccountService manages accounts.
type AccountService interface {
	// CreateAccount creates an account together with its root key (scope *).
	// When secret is empty a new one is generated. It returns the account,
	// the key, and the key's secret. Errors: EPARAMINVALID for a malformed
	// secret; EINTERNAL otherwise.
	CreateAccount(ctx context.Context, name, secret string) (*Account, *APIKey, string, error)

	// CreateFirstAccount does what CreateAccount does, but only while no
	// account exists, atomically even when several processes start at once
	// on one store. It returns a nil account when accounts already exist.
	// Errors: EPARAMINVALID for a malformed secret; EINTERNAL otherwise.
	CreateFirstAccount(ctx context.Context, name, secret string) (*Account, *APIKey, string, error)

	// FindAccountByID returns one account. Errors: ENOTFOUND, EINTERNAL.
	FindAccountByID(ctx context.Context, id string) (*Account, error)

	// CountAccounts returns how many accounts exist. Errors: EINTERNAL.
	CountAccounts(ctx context.Context) (int, error)
}

// NewAccount builds an account and its root key (scope *). When secret is
// empty a new one is generated.
func NewAccount(name, secret string) (*Account, *APIKey, string, error) {
	if secret == "" {
		secret = NewSecret()
	} else if !ValidSecret(secret) {
		return nil, nil, "", ParamErrorf(EPARAMINVALID, "secret", "A key secret must be %q followed by 32 base62 characters.", SecretPrefix)
	}
	if name == "" {
		name = "Default"
	}
	now := Now()
	acct := &Account{ID: NewID(PrefixAccount), Name: name, CreatedAt: now}
	key := &APIKey{ID: NewID(PrefixAPIKey), AccountID: acct.ID, Name: "root", Scopes: []string{ScopeAll},
		RateLimit: DefaultRateLimit, CreatedAt: now}
	key.SetSecret(secret)
	return acct, key, secret, nil
}
