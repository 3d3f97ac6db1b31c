package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// NewSessionService returns a SessionService on db.
func NewSessionService(db *DB) docsapi.SessionService { return docsapi.NewSessionService(sessions{db}) }

// sessions is the SQL of the SessionService.
type sessions struct{ db *DB }

func (s sessions) InsertSession(ctx context.Context, ses *docsapi.Session) (bool, error) {
	tag, err := s.db.conn(ctx).Exec(ctx,
		`INSERT INTO sessions (id, hash, account_id, api_key_id, csrf_token, created_at, last_seen_at)
		 SELECT $1, $2, account_id, id, $3, $4, $5 FROM api_keys WHERE id = $6 AND account_id = $7 AND revoked_at IS NULL`,
		ses.ID, ses.Hash, ses.CSRFToken, ses.CreatedAt, ses.LastSeenAt, ses.APIKeyID, ses.AccountID)
	if err != nil {
		return false, fmt.Errorf("insert session: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// prefixScanner scans a row's leading columns into pre and the rest into what
// its caller asks for, so that a joined row reuses scanAPIKey.
type prefixScanner struct {
	s   pgx.Row
	pre []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.s.Scan(append(p.pre, dest...)...) }

func (s sessions) FindSession(ctx context.Context, hash string, since time.Time) (*docsapi.Session, error) {
	var ses docsapi.Session
	key, err := scanAPIKey(prefixScanner{
		s: s.db.conn(ctx).QueryRow(ctx,
			`SELECT s.id, s.hash, s.csrf_token, s.created_at, s.last_seen_at,
			        k.id, k.account_id, k.name, k.scopes, k.rate_limit, k.prefix, k.hash, k.created_at, k.last_used_at, k.revoked_at
			 FROM sessions s JOIN api_keys k ON k.id = s.api_key_id
			 WHERE s.hash = $1 AND s.last_seen_at > $2 AND k.revoked_at IS NULL`,
			hash, since),
		pre: []any{&ses.ID, &ses.Hash, &ses.CSRFToken, &ses.CreatedAt, &ses.LastSeenAt},
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	ses.AccountID, ses.APIKeyID, ses.Key = key.AccountID, key.ID, key
	return &ses, nil
}

func (s sessions) TouchSession(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.conn(ctx).Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1`,
		at, id); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

func (s sessions) DeleteSessionByHash(ctx context.Context, hash string) error {
	if _, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (s sessions) PurgeSessions(ctx context.Context, before time.Time) (int64, error) {
	n, err := docsapi.PurgeInBatches(ctx, purgeBatch, func(ctx context.Context) (int64, error) {
		tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM sessions WHERE id IN (
			SELECT id FROM sessions WHERE last_seen_at < $1 LIMIT $2)`, before, purgeBatch)
		return tag.RowsAffected(), err
	})
	if err != nil {
		return n, fmt.Errorf("purge sessions: %w", err)
	}
	return n, nil
}
