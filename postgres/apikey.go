package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// NewAPIKeyService returns an APIKeyService on db.
func NewAPIKeyService(db *DB) docsapi.APIKeyService { return docsapi.NewAPIKeyService(apiKeys{db}) }

// apiKeys is the SQL of the APIKeyService.
type apiKeys struct{ db *DB }

const apiKeyColumns = `id, account_id, name, scopes, rate_limit, prefix, hash, created_at, last_used_at, revoked_at`

// scanAPIKey reads a row of apiKeyColumns; pgx scans text[] and
// timestamptz into the domain's types as they are.
func scanAPIKey(row pgx.Row) (*docsapi.APIKey, error) {
	var k docsapi.APIKey
	if err := row.Scan(&k.ID, &k.AccountID, &k.Name, &k.Scopes, &k.RateLimit, &k.Prefix, &k.Hash,
		&k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	return &k, nil
}

func (s apiKeys) InsertAPIKey(ctx context.Context, k *docsapi.APIKey) error {
	_, err := s.db.conn(ctx).Exec(ctx,
		`INSERT INTO api_keys (id, account_id, name, scopes, rate_limit, prefix, hash, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.AccountID, k.Name, k.Scopes, k.RateLimit, k.Prefix, k.Hash, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

func (s apiKeys) FindAPIKeyByHash(ctx context.Context, hash string) (*docsapi.APIKey, error) {
	k, err := scanAPIKey(s.db.conn(ctx).QueryRow(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find api key by hash: %w", err)
	}
	return k, nil
}

func (s apiKeys) FindAPIKey(ctx context.Context, accountID, id string) (*docsapi.APIKey, error) {
	k, err := scanAPIKey(s.db.conn(ctx).QueryRow(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find api key: %w", err)
	}
	return k, nil
}

func (s apiKeys) ListAPIKeys(ctx context.Context, accountID string, p docsapi.ListParams) ([]*docsapi.APIKey, error) {
	suffix, args, err := s.db.page(ctx, "api_keys", accountID, p, []any{accountID})
	if err != nil {
		return nil, err
	}
	items, err := queryAll(ctx, s.db.conn(ctx), scanAPIKey,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = $1`+suffix, args...)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return items, nil
}

// RevokeAPIKey ends the key's sessions in the same statement.
func (s apiKeys) RevokeAPIKey(ctx context.Context, accountID, id string, at time.Time) (*docsapi.APIKey, error) {
	k, err := scanAPIKey(s.db.conn(ctx).QueryRow(ctx,
		`WITH k AS (UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE account_id = $2 AND id = $3 RETURNING `+apiKeyColumns+`),
		 ended AS (DELETE FROM sessions WHERE api_key_id IN (SELECT id FROM k))
		 SELECT `+apiKeyColumns+` FROM k`,
		at, accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("revoke api key: %w", err)
	}
	return k, nil
}

func (s apiKeys) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.conn(ctx).Exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, at, id); err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return nil
}
