package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// NewAccountService returns an AccountService on db.
func NewAccountService(db *DB) docsapi.AccountService { return docsapi.NewAccountService(accounts{db}) }

// accounts is the SQL of the AccountService.
type accounts struct{ db *DB }

// LockFirstAccount takes an advisory lock, one per schema, so that
// instances that start together take turns.
func (s accounts) LockFirstAccount(ctx context.Context) error {
	if _, err := s.db.conn(ctx).Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('docsapi.first_account.' || current_schema()))`); err != nil {
		return fmt.Errorf("lock first account: %w", err)
	}
	return nil
}

func (s accounts) InsertAccount(ctx context.Context, a *docsapi.Account) error {
	if _, err := s.db.conn(ctx).Exec(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)`,
		a.ID, a.Name, a.CreatedAt); err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	return nil
}

func (s accounts) InsertAPIKey(ctx context.Context, k *docsapi.APIKey) error {
	return apiKeys{s.db}.InsertAPIKey(ctx, k)
}

func (s accounts) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.inTx(ctx, func(ctx context.Context, _ pgx.Tx) error { return fn(ctx) })
}

func (s accounts) FindAccount(ctx context.Context, id string) (*docsapi.Account, error) {
	var a docsapi.Account
	err := s.db.conn(ctx).QueryRow(ctx, `SELECT id, name, created_at FROM accounts WHERE id = $1`, id).Scan(&a.ID, &a.Name, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	return &a, nil
}

func (s accounts) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.conn(ctx).QueryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}

func (s accounts) ListAccounts(ctx context.Context) ([]*docsapi.Account, error) {
	rows, err := s.db.conn(ctx).Query(ctx, `SELECT id, name, created_at FROM accounts ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*docsapi.Account, error) {
		var a docsapi.Account
		return &a, row.Scan(&a.ID, &a.Name, &a.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}
