package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/docsapi/docsapi"
)

// NewAccountService returns an AccountService on db.
func NewAccountService(db *DB) docsapi.AccountService { return docsapi.NewAccountService(accounts{db}) }

// accounts is the SQL of the AccountService.
type accounts struct{ db *DB }

// LockFirstAccount has nothing to do: the write transaction (BEGIN
// IMMEDIATE) already excludes other processes.
func (accounts) LockFirstAccount(context.Context) error { return nil }

func (s accounts) InsertAccount(ctx context.Context, a *docsapi.Account) error {
	if _, err := s.db.writer(ctx).ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`,
		a.ID, a.Name, micros(a.CreatedAt)); err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	return nil
}

func (s accounts) InsertAPIKey(ctx context.Context, k *docsapi.APIKey) error {
	return apiKeys{s.db}.InsertAPIKey(ctx, k)
}

func (s accounts) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error { return fn(ctx) })
}

func (s accounts) FindAccount(ctx context.Context, id string) (*docsapi.Account, error) {
	var a docsapi.Account
	var created int64
	err := s.db.reader(ctx).QueryRowContext(ctx, `SELECT id, name, created_at FROM accounts WHERE id = ?`, id).Scan(&a.ID, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

func (s accounts) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := s.db.reader(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}

func (s accounts) ListAccounts(ctx context.Context) ([]*docsapi.Account, error) {
	rows, err := s.db.reader(ctx).QueryContext(ctx, `SELECT id, name, created_at FROM accounts ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []*docsapi.Account
	for rows.Next() {
		var a docsapi.Account
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &created); err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		a.CreatedAt = fromMicros(created)
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}
