package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/docsapi/docsapi"
)

// NewSessionService returns a SessionService on db.
func NewSessionService(db *DB) docsapi.SessionService { return docsapi.NewSessionService(sessions{db}) }

// sessions is the SQL of the SessionService.
type sessions struct{ db *DB }

func (s sessions) InsertSession(ctx context.Context, ses *docsapi.Session) (bool, error) {
	res, err := s.db.writer(ctx).ExecContext(ctx,
		`INSERT INTO sessions (id, hash, account_id, api_key_id, csrf_token, created_at, last_seen_at)
		 SELECT ?, ?, account_id, id, ?, ?, ? FROM api_keys WHERE id = ? AND account_id = ? AND revoked_at IS NULL`,
		ses.ID, ses.Hash, ses.CSRFToken, micros(ses.CreatedAt), micros(ses.LastSeenAt), ses.APIKeyID, ses.AccountID)
	if err != nil {
		return false, fmt.Errorf("insert session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert session: %w", err)
	}
	return n > 0, nil
}

// prefixScanner scans a row's leading columns into pre and the rest into
// what its caller asks for, so that a joined row reuses scanAPIKey.
type prefixScanner struct {
	s   scanner
	pre []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.s.Scan(append(p.pre, dest...)...) }

func (s sessions) FindSession(ctx context.Context, hash string, since time.Time) (*docsapi.Session, error) {
	var ses docsapi.Session
	var created, seen int64
	key, err := scanAPIKey(prefixScanner{
		s: s.db.reader(ctx).QueryRowContext(ctx,
			`SELECT s.id, s.hash, s.csrf_token, s.created_at, s.last_seen_at, k.id, k.account_id, k.name, k.scopes, k.rate_limit, k.prefix, k.hash, k.created_at, k.last_used_at, k.revoked_at
			 FROM sessions s JOIN api_keys k ON k.id = s.api_key_id
			 WHERE s.hash = ? AND s.last_seen_at > ? AND k.revoked_at IS NULL`,
			hash, micros(since)),
		pre: []any{&ses.ID, &ses.Hash, &ses.CSRFToken, &created, &seen},
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	ses.AccountID, ses.APIKeyID, ses.Key = key.AccountID, key.ID, key
	ses.CreatedAt, ses.LastSeenAt = fromMicros(created), fromMicros(seen)
	return &ses, nil
}

func (s sessions) TouchSession(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.writer(ctx).ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`,
		micros(at), id, micros(at)); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

func (s sessions) DeleteSessionByHash(ctx context.Context, hash string) error {
	if _, err := s.db.writer(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

func (s sessions) PurgeSessions(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.db.purgeBefore(ctx, `DELETE FROM sessions WHERE rowid IN (
		SELECT rowid FROM sessions WHERE last_seen_at < ? LIMIT ?)`, before)
	if err != nil {
		return n, fmt.Errorf("purge sessions: %w", err)
	}
	return n, nil
}
