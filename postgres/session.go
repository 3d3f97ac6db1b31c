package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
	"github.com/jackc/pgx/v5"
)

// SessionService implements docsapi.SessionService.
type SessionService struct{ db *DB }

// NewSessionService returns a SessionService on db.
func NewSessionService(db *DB) *SessionService { return &SessionService{db: db} }

// CreateSession stores s if its key is one of its account's live keys.
func (s *SessionService) CreateSession(ctx context.Context, ses *docsapi.Session) error {
	tag, err := s.db.conn(ctx).Exec(ctx,
		`INSERT INTO sessions (id, hash, account_id, api_key_id, csrf_token, created_at, last_seen_at)
		 SELECT $1, $2, account_id, id, $3, $4, $5 FROM api_keys WHERE id = $6 AND account_id = $7 AND revoked_at IS NULL`,
		ses.ID, ses.Hash, ses.CSRFToken, ses.CreatedAt, ses.LastSeenAt, ses.APIKeyID, ses.AccountID)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return docsapi.NotFound("API key", ses.APIKeyID)
	}
	return nil
}

// prefixRow scans a row's leading columns into pre and the rest into what
// its caller asks for, so that a joined row reuses scanAPIKey.
type prefixRow struct {
	row pgx.Row
	pre []any
}

func (p prefixRow) Scan(dest ...any) error { return p.row.Scan(append(p.pre, dest...)...) }

// FindSessionByToken returns the live session of that token with its key.
func (s *SessionService) FindSessionByToken(ctx context.Context, token string) (*docsapi.Session, error) {
	now := docsapi.Now()
	var ses docsapi.Session
	key, err := scanAPIKey(prefixRow{
		row: s.db.conn(ctx).QueryRow(ctx,
			`SELECT s.id, s.hash, s.csrf_token, s.created_at, s.last_seen_at,
			        k.id, k.account_id, k.name, k.scopes, k.rate_limit, k.prefix, k.hash, k.created_at, k.last_used_at, k.revoked_at
			 FROM sessions s JOIN api_keys k ON k.id = s.api_key_id
			 WHERE s.hash = $1 AND s.last_seen_at > $2 AND k.revoked_at IS NULL`,
			docsapi.HashSecret(token), now.Add(-docsapi.SessionIdleTimeout)),
		pre: []any{&ses.ID, &ses.Hash, &ses.CSRFToken, &ses.CreatedAt, &ses.LastSeenAt},
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "Your Dashboard session has ended; sign in again.")
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	ses.AccountID, ses.APIKeyID, ses.Key = key.AccountID, key.ID, key
	if now.Sub(ses.LastSeenAt) >= docsapi.SessionTouchInterval {
		if _, err := s.db.conn(ctx).Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1`,
			now, ses.ID); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		ses.LastSeenAt = now
	}
	return &ses, nil
}

// DeleteSession ends the session of that token.
func (s *SessionService) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, docsapi.HashSecret(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PurgeSessions deletes sessions last used before t.
func (s *SessionService) PurgeSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.conn(ctx).Exec(ctx, `DELETE FROM sessions WHERE last_seen_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
