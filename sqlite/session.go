package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
)

// SessionService implements docsapi.SessionService.
type SessionService struct{ db *DB }

// NewSessionService returns a SessionService on db.
func NewSessionService(db *DB) *SessionService { return &SessionService{db: db} }

// CreateSession stores s if its key is one of its account's live keys.
func (s *SessionService) CreateSession(ctx context.Context, ses *docsapi.Session) error {
	res, err := s.db.writer(ctx).ExecContext(ctx,
		`INSERT INTO sessions (id, hash, account_id, api_key_id, csrf_token, created_at, last_seen_at)
		 SELECT ?, ?, account_id, id, ?, ?, ? FROM api_keys WHERE id = ? AND account_id = ? AND revoked_at IS NULL`,
		ses.ID, ses.Hash, ses.CSRFToken, micros(ses.CreatedAt), micros(ses.LastSeenAt), ses.APIKeyID, ses.AccountID)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("insert session: %w", err)
	} else if n == 0 {
		return docsapi.NotFound("API key", ses.APIKeyID)
	}
	return nil
}

// prefixScanner scans a row's leading columns into pre and the rest into
// what its caller asks for, so that a joined row reuses scanAPIKey.
type prefixScanner struct {
	s   scanner
	pre []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.s.Scan(append(p.pre, dest...)...) }

// FindSessionByToken returns the live session of that token with its key.
func (s *SessionService) FindSessionByToken(ctx context.Context, token string) (*docsapi.Session, error) {
	now := docsapi.Now()
	var ses docsapi.Session
	var created, seen int64
	key, err := scanAPIKey(prefixScanner{
		s: s.db.reader(ctx).QueryRowContext(ctx,
			`SELECT s.id, s.hash, s.csrf_token, s.created_at, s.last_seen_at, k.id, k.account_id, k.name, k.scopes, k.rate_limit, k.prefix, k.hash, k.created_at, k.last_used_at, k.revoked_at
			 FROM sessions s JOIN api_keys k ON k.id = s.api_key_id
			 WHERE s.hash = ? AND s.last_seen_at > ? AND k.revoked_at IS NULL`,
			docsapi.HashSecret(token), micros(now.Add(-docsapi.SessionIdleTimeout))),
		pre: []any{&ses.ID, &ses.Hash, &ses.CSRFToken, &created, &seen},
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, docsapi.Errorf(docsapi.EUNAUTHORIZED, "Your Dashboard session has ended; sign in again.")
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	ses.AccountID, ses.APIKeyID, ses.Key = key.AccountID, key.ID, key
	ses.CreatedAt, ses.LastSeenAt = fromMicros(created), fromMicros(seen)
	if now.Sub(ses.LastSeenAt) >= docsapi.SessionTouchInterval {
		if _, err := s.db.writer(ctx).ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`,
			micros(now), ses.ID, micros(now)); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		ses.LastSeenAt = now
	}
	return &ses, nil
}

// DeleteSession ends the session of that token.
func (s *SessionService) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.db.writer(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, docsapi.HashSecret(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PurgeSessions deletes sessions last used before t.
func (s *SessionService) PurgeSessions(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.writer(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ?`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	return res.RowsAffected()
}
