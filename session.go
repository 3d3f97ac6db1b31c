package docsapi

import (
	"context"
	"time"
)

// Dashboard sessions.
const (
	// SessionIdleTimeout ends a session not used for that long.
	SessionIdleTimeout = 12 * time.Hour
	// SessionTouchInterval bounds how often a session's last use is
	// written, so that page views do not each cost a write.
	SessionTouchInterval = time.Minute

	PrefixSession   = "ses_"
	sessionTokenLen = 43 // base62 characters: 256 bits
	csrfTokenLen    = 32
)

// Session is a Dashboard sign-in: it acts with one API key, and ends when
// idle for SessionIdleTimeout, on sign-out, or when the key is revoked.
// Only the SHA-256 hash of its token is stored, as for keys.
type Session struct {
	ID         string
	AccountID  string
	APIKeyID   string
	Hash       string
	CSRFToken  string // sent with every state-changing form
	CreatedAt  time.Time
	LastSeenAt time.Time

	// Key is the session's API key, filled by FindSessionByToken.
	Key *APIKey
}

// NewSession builds a session for key and returns it with its token, the
// value for the browser's cookie, which is never stored.
func NewSession(key *APIKey) (*Session, string) {
	token := RandomBase62(sessionTokenLen)
	now := Now()
	return &Session{
		ID: NewID(PrefixSession), AccountID: key.AccountID, APIKeyID: key.ID,
		Hash: HashSecret(token), CSRFToken: RandomBase62(csrfTokenLen),
		CreatedAt: now, LastSeenAt: now, Key: key,
	}, token
}

// SessionService stores Dashboard sessions.
type SessionService interface {
	// CreateSession stores s, built by NewSession.
	// Errors: ENOTFOUND (the key is unknown or revoked), EINTERNAL.
	CreateSession(ctx context.Context, s *Session) error

	// FindSessionByToken returns the live session whose token that is,
	// with its key, and records its use (at most once per
	// SessionTouchInterval). A session idle for SessionIdleTimeout, signed
	// out, or whose key is revoked is not live.
	// Errors: EUNAUTHORIZED (no live session), EINTERNAL.
	FindSessionByToken(ctx context.Context, token string) (*Session, error)

	// DeleteSession ends the session whose token that is; ending one that
	// is not there is not an error. Errors: EINTERNAL.
	DeleteSession(ctx context.Context, token string) error

	// PurgeSessions deletes sessions last used before t and returns how many.
	// Errors: EINTERNAL.
	PurgeSessions(ctx context.Context, before time.Time) (int64, error)
}

// SessionStore is the SQL an engine runs for the SessionService that
// NewSessionService builds around it.
type SessionStore interface {
	// InsertSession stores s if its key is a live key of its account, and
	// reports whether it did.
	// Errors: EINTERNAL.
	InsertSession(ctx context.Context, s *Session) (bool, error)

	// FindSession returns the session of that token hash last seen after
	// since whose key is not revoked, with its key; nil when there is none.
	// Errors: EINTERNAL.
	FindSession(ctx context.Context, hash string, since time.Time) (*Session, error)

	// TouchSession moves the session's last use forward to at.
	// Errors: EINTERNAL.
	TouchSession(ctx context.Context, id string, at time.Time) error

	// DeleteSessionByHash deletes the session with that token hash, if any. Errors: EINTERNAL.
	DeleteSessionByHash(ctx context.Context, hash string) error
	// PurgeSessions deletes the sessions last used before before and returns how many. Errors: EINTERNAL.
	PurgeSessions(ctx context.Context, before time.Time) (int64, error)
}

// NewSessionService returns the SessionService over an engine's store.
func NewSessionService(st SessionStore) SessionService { return sessionService{st} }

type sessionService struct{ st SessionStore }

// CreateSession stores s if its key is one of its account's live keys.
func (s sessionService) CreateSession(ctx context.Context, ses *Session) error {
	ok, err := s.st.InsertSession(ctx, ses)
	if err != nil {
		return err
	}
	if !ok {
		return NotFound("API key", ses.APIKeyID)
	}
	return nil
}

// FindSessionByToken returns the live session of that token with its key.
func (s sessionService) FindSessionByToken(ctx context.Context, token string) (*Session, error) {
	now := Now()
	ses, err := s.st.FindSession(ctx, HashSecret(token), now.Add(-SessionIdleTimeout))
	if err != nil {
		return nil, err
	}
	if ses == nil {
		return nil, Errorf(EUNAUTHORIZED, "Your Dashboard session has ended; sign in again.")
	}
	if now.Sub(ses.LastSeenAt) >= SessionTouchInterval {
		if err := s.st.TouchSession(ctx, ses.ID, now); err != nil {
			return nil, err
		}
		ses.LastSeenAt = now
	}
	return ses, nil
}

// DeleteSession ends the session of that token.
func (s sessionService) DeleteSession(ctx context.Context, token string) error {
	return s.st.DeleteSessionByHash(ctx, HashSecret(token))
}

func (s sessionService) PurgeSessions(ctx context.Context, before time.Time) (int64, error) {
	return s.st.PurgeSessions(ctx, before)
}
