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

	// ListAccounts returns every account, oldest first, for an operator's
	// command line (the API has no account listing). Errors: EINTERNAL.
	ListAccounts(ctx context.Context) ([]*Account, error)
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

// AccountStore is the SQL an engine runs for the AccountService that
// NewAccountService builds around it.
type AccountStore interface {
	// InTx runs fn in the write transaction that ctx carries, or in a new
	// one that the ctx passed to fn carries.
	// Errors: fn's, EINTERNAL.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// LockFirstAccount, inside InTx, makes the transactions of processes
	// that create the first account at once take turns.
	// Errors: EINTERNAL.
	LockFirstAccount(ctx context.Context) error

	// InsertAccount stores a. Errors: EINTERNAL.
	InsertAccount(ctx context.Context, a *Account) error
	// InsertAPIKey stores k. Errors: EINTERNAL.
	InsertAPIKey(ctx context.Context, k *APIKey) error

	// FindAccount returns the account, or nil.
	// Errors: EINTERNAL.
	FindAccount(ctx context.Context, id string) (*Account, error)

	// CountAccounts returns how many accounts there are. Errors: EINTERNAL.
	CountAccounts(ctx context.Context) (int, error)

	// ListAccounts returns every account, oldest first (then by id).
	// Errors: EINTERNAL.
	ListAccounts(ctx context.Context) ([]*Account, error)
}

// NewAccountService returns the AccountService over an engine's store.
func NewAccountService(st AccountStore) AccountService { return accountService{st} }

type accountService struct{ st AccountStore }

// CreateAccount creates an account and its root key in one transaction.
func (s accountService) CreateAccount(ctx context.Context, name, secret string) (*Account, *APIKey, string, error) {
	acct, key, secret, err := NewAccount(name, secret)
	if err != nil {
		return nil, nil, "", err
	}
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.InsertAccount(ctx, acct); err != nil {
			return err
		}
		return s.st.InsertAPIKey(ctx, key)
	})
	if err != nil {
		return nil, nil, "", err
	}
	return acct, key, secret, nil
}

// CreateFirstAccount creates the first account unless one exists.
func (s accountService) CreateFirstAccount(ctx context.Context, name, secret string) (acct *Account, key *APIKey, out string, err error) {
	err = s.st.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.LockFirstAccount(ctx); err != nil {
			return err
		}
		if n, err := s.st.CountAccounts(ctx); err != nil || n > 0 {
			return err
		}
		acct, key, out, err = s.CreateAccount(ctx, name, secret)
		return err
	})
	return acct, key, out, err
}

func (s accountService) FindAccountByID(ctx context.Context, id string) (*Account, error) {
	a, err := s.st.FindAccount(ctx, id)
	if err == nil && a == nil {
		return nil, NotFound("account", id)
	}
	return a, err
}

func (s accountService) CountAccounts(ctx context.Context) (int, error) {
	return s.st.CountAccounts(ctx)
}

func (s accountService) ListAccounts(ctx context.Context) ([]*Account, error) {
	return s.st.ListAccounts(ctx)
}
