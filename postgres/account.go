package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// AccountService implements docsapi.AccountService.
type AccountService struct{ db *DB }

// NewAccountService returns an AccountService on db.
func NewAccountService(db *DB) *AccountService { return &AccountService{db: db} }

// CreateAccount creates an account and its root key in one transaction.
func (s *AccountService) CreateAccount(ctx context.Context, name, secret string) (*docsapi.Account, *docsapi.APIKey, string, error) {
	acct, key, secret, err := docsapi.NewAccount(name, secret)
	if err != nil {
		return nil, nil, "", err
	}
	err = s.db.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)`,
			acct.ID, acct.Name, acct.CreatedAt); err != nil {
			return fmt.Errorf("insert account: %w", err)
		}
		return createAPIKey(ctx, tx, key)
	})
	if err != nil {
		return nil, nil, "", err
	}
	return acct, key, secret, nil
}

// CreateFirstAccount creates the first account unless one exists; an
// advisory lock makes instances that start together take turns.
func (s *AccountService) CreateFirstAccount(ctx context.Context, name, secret string) (acct *docsapi.Account, key *docsapi.APIKey, out string, err error) {
	err = s.db.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('docsapi.first_account.' || current_schema()))`); err != nil {
			return fmt.Errorf("lock first account: %w", err)
		}
		if n, err := s.CountAccounts(ctx); err != nil || n > 0 {
			return err
		}
		acct, key, out, err = s.CreateAccount(ctx, name, secret)
		return err
	})
	return acct, key, out, err
}

// FindAccountByID returns one account.
func (s *AccountService) FindAccountByID(ctx context.Context, id string) (*docsapi.Account, error) {
	var a docsapi.Account
	err := s.db.conn(ctx).QueryRow(ctx, `SELECT id, name, created_at FROM accounts WHERE id = $1`, id).Scan(&a.ID, &a.Name, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, docsapi.NotFound("account", id)
	} else if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	return &a, nil
}

// CountAccounts returns the number of accounts.
func (s *AccountService) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.conn(ctx).QueryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}
