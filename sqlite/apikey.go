package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docsapi/docsapi"
)

// NewAPIKeyService returns an APIKeyService on db.
func NewAPIKeyService(db *DB) docsapi.APIKeyService { return docsapi.NewAPIKeyService(apiKeys{db}) }

// apiKeys is the SQL of the APIKeyService.
type apiKeys struct{ db *DB }

const apiKeyColumns = `id, account_id, name, scopes, rate_limit, prefix, hash, created_at, last_used_at, revoked_at`

// scanAPIKey reads a row of apiKeyColumns. Scopes are stored space-separated:
// SQLite has no arrays.
func scanAPIKey(s scanner) (*docsapi.APIKey, error) {
	var k docsapi.APIKey
	var scopes string
	var created int64
	var lastUsed, revoked sql.NullInt64
	if err := s.Scan(&k.ID, &k.AccountID, &k.Name, &scopes, &k.RateLimit, &k.Prefix, &k.Hash, &created, &lastUsed, &revoked); err != nil {
		return nil, err
	}
	k.Scopes = strings.Fields(scopes)
	k.CreatedAt = fromMicros(created)
	k.LastUsedAt, k.RevokedAt = fromNullMicros(lastUsed), fromNullMicros(revoked)
	return &k, nil
}

func (s apiKeys) InsertAPIKey(ctx context.Context, k *docsapi.APIKey) error {
	_, err := s.db.writer(ctx).ExecContext(ctx,
		`INSERT INTO api_keys (id, account_id, name, scopes, rate_limit, prefix, hash, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.AccountID, k.Name, strings.Join(k.Scopes, " "), k.RateLimit, k.Prefix, k.Hash, micros(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

func (s apiKeys) FindAPIKeyByHash(ctx context.Context, hash string) (*docsapi.APIKey, error) {
	k, err := scanAPIKey(s.db.reader(ctx).QueryRowContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find api key by hash: %w", err)
	}
	return k, nil
}

func (s apiKeys) FindAPIKey(ctx context.Context, accountID, id string) (*docsapi.APIKey, error) {
	k, err := scanAPIKey(s.db.reader(ctx).QueryRowContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = ? AND id = ?`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	items, err := queryAll(ctx, s.db.reader(ctx), scanAPIKey,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = ?`+suffix, args...)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return items, nil
}

// RevokeAPIKey needs a transaction for the sessions: SQLite has no DELETE
// in WITH. In it, reader and writer are the committer's statements.
func (s apiKeys) RevokeAPIKey(ctx context.Context, accountID, id string, at time.Time) (*docsapi.APIKey, error) {
	var k *docsapi.APIKey
	err := s.db.inTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		var err error
		k, err = scanAPIKey(s.db.reader(ctx).QueryRowContext(ctx,
			`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE account_id = ? AND id = ? RETURNING `+apiKeyColumns,
			micros(at), accountID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		if _, err := s.db.writer(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE api_key_id = ?`, id); err != nil {
			return fmt.Errorf("end sessions of revoked key: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

func (s apiKeys) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.writer(ctx).ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, micros(at), id); err != nil {
		return fmt.Errorf("touch api key: %w", err)
	}
	return nil
}
