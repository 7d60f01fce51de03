package user

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// Session limits.
const (
	RefreshTTL         = 30 * 24 * time.Hour // a session ends this long after its last refresh
	refreshTokenBytes  = 32
	deviceRunesMax     = 100
	sessionsListedMax  = 50 // the newest this many sessions are listed
	sessionIDPrefixLen = len("s_")
)

// SessionRecord is one login's session: its refresh tokens rotate within it.
type SessionRecord struct {
	ID          string    `json:"id" dynamodbav:"id"`
	UserID      string    `json:"-" dynamodbav:"user_id"`
	Device      string    `json:"device" dynamodbav:"device"`
	IP          string    `json:"ip" dynamodbav:"ip"`
	CreatedAt   time.Time `json:"created_at" dynamodbav:"created_at"`
	LastUsedAt  time.Time `json:"last_used_at" dynamodbav:"last_used_at"`
	RefreshHash string    `json:"-" dynamodbav:"refresh_hash"` // the current refresh token's hash
	Revoked     bool      `json:"-" dynamodbav:"revoked"`
	ExpiresAt   time.Time `json:"-" dynamodbav:"-"`
	Current     bool      `json:"current" dynamodbav:"-"`
}

// Active reports whether the session still admits tokens at now.
func (s SessionRecord) Active(now time.Time) bool { return !s.Revoked && s.ExpiresAt.After(now) }

// Refresh is a stored refresh token (by hash): used once it has been rotated.
type Refresh struct {
	Hash      string
	SessionID string
	UserID    string
	Used      bool
}

// Sessions keeps sessions and their refresh tokens.
type Sessions interface {
	// StartSession stores a new session with its first refresh token.
	StartSession(ctx context.Context, s SessionRecord) error
	// Session reads one; problem.ErrNotFound when absent.
	Session(ctx context.Context, id string) (SessionRecord, error)
	// RefreshByHash reads a refresh token; problem.ErrNotFound when absent.
	RefreshByHash(ctx context.Context, hash string) (Refresh, error)
	// Rotate marks old used and makes next the session's refresh token, in one
	// transaction conditional on old being unused and the session active with old as its
	// token; ErrInvalidRefresh when that no longer holds.
	Rotate(ctx context.Context, old Refresh, next SessionRecord) error
	// Revoke ends a session of userID; problem.ErrNotFound when it is not theirs.
	Revoke(ctx context.Context, userID, sessionID string) error
	// UserSessions lists a user's sessions, newest first.
	UserSessions(ctx context.Context, userID string) ([]SessionRecord, error)
}

// Errors of sessions.
var (
	ErrInvalidRefresh  = problem.New(problem.KindUnauthenticated, "invalid_refresh_token", "the refresh token is unknown, expired or revoked")
	ErrRefreshReused   = problem.New(problem.KindUnauthenticated, "refresh_reused", "this refresh token was used before: the session is revoked")
	ErrSessionNotFound = problem.New(problem.KindNotFound, "session_not_found", "no such session")
)

// UseSessions lets the service keep sessions (login, refresh, logout).
func (s *Service) UseSessions(store Sessions) { s.sessions = store }

// newRefreshToken draws a refresh token and its stored hash.
func newRefreshToken() (string, string, error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashRefresh(tok), nil
}

func hashRefresh(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// cleanDevice trims a client's device label to something safe to list.
func cleanDevice(d string) string {
	d = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(d))
	if !utf8.ValidString(d) {
		return ""
	}
	if utf8.RuneCountInString(d) > deviceRunesMax {
		d = string([]rune(d)[:deviceRunesMax])
	}
	return d
}

// startSession opens a session for u and signs its first tokens.
func (s *Service) startSession(ctx context.Context, u User, device, ip string) (Session, error) {
	tok, hash, err := newRefreshToken()
	if err != nil {
		return Session{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	rec := SessionRecord{ID: "s_" + uuid.NewString(), UserID: u.ID, Device: cleanDevice(device), IP: ip,
		CreatedAt: now, LastUsedAt: now, RefreshHash: hash, ExpiresAt: now.Add(RefreshTTL)}
	if err := s.sessions.StartSession(ctx, rec); err != nil {
		return Session{}, err
	}
	return s.sessionAnswer(ctx, u, rec.ID, tok)
}

func (s *Service) sessionAnswer(ctx context.Context, u User, sid, refresh string) (Session, error) {
	token, ttl, err := s.tokens.Issue(ctx, u.ID, u.Role, u.EmailVerified, sid)
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: token, TokenType: "Bearer", ExpiresInSeconds: ttl, SessionID: sid,
		RefreshToken: refresh, RefreshExpiresIn: int(RefreshTTL / time.Second)}, nil
}

// RefreshInput is a refresh request: the token and where it comes from.
type RefreshInput struct {
	RefreshToken string `json:"refresh_token"`
	IP           string `json:"-"`
}

// Refresh rotates a refresh token: the session gets a new one and a new access token
// (whose verified flag is read again). A token used before revokes its whole session
// (reuse detection: one of the two holders is not the owner).
func (s *Service) Refresh(ctx context.Context, in RefreshInput) (Session, error) {
	if s.sessions == nil || s.tokens == nil {
		return Session{}, errors.New("user: this service cannot refresh sessions")
	}
	if in.RefreshToken == "" || len(in.RefreshToken) > 256 {
		return Session{}, ErrInvalidRefresh
	}
	old, err := s.sessions.RefreshByHash(ctx, hashRefresh(in.RefreshToken))
	if errors.Is(err, problem.ErrNotFound) {
		return Session{}, ErrInvalidRefresh
	}
	if err != nil {
		return Session{}, err
	}
	if old.Used {
		if err := s.sessions.Revoke(ctx, old.UserID, old.SessionID); err != nil && !errors.Is(err, problem.ErrNotFound) {
			return Session{}, err
		}
		return Session{}, ErrRefreshReused
	}
	rec, err := s.sessions.Session(ctx, old.SessionID)
	if errors.Is(err, problem.ErrNotFound) {
		return Session{}, ErrInvalidRefresh
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	if !rec.Active(now) {
		return Session{}, ErrInvalidRefresh
	}
	u, err := s.store.ByID(ctx, rec.UserID)
	if err != nil {
		return Session{}, err
	}
	tok, hash, err := newRefreshToken()
	if err != nil {
		return Session{}, err
	}
	rec.RefreshHash, rec.LastUsedAt, rec.ExpiresAt = hash, now, now.Add(RefreshTTL)
	if in.IP != "" {
		rec.IP = in.IP
	}
	if err := s.sessions.Rotate(ctx, old, rec); err != nil {
		return Session{}, err
	}
	return s.sessionAnswer(ctx, u, rec.ID, tok)
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, userID, sessionID string) error {
	return s.EndSession(ctx, userID, sessionID)
}

// EndSession ends one of the user's sessions; another user's is ErrSessionNotFound.
func (s *Service) EndSession(ctx context.Context, userID, sessionID string) error {
	if s.sessions == nil {
		return errors.New("user: this service keeps no sessions")
	}
	if len(sessionID) <= sessionIDPrefixLen || !strings.HasPrefix(sessionID, "s_") {
		return ErrSessionNotFound
	}
	err := s.sessions.Revoke(ctx, userID, sessionID)
	if errors.Is(err, problem.ErrNotFound) {
		return ErrSessionNotFound
	}
	return err
}

// SessionList is the answer of GET /v1/auth/sessions.
type SessionList struct {
	Items []SessionRecord `json:"items"`
}

// ListSessions lists the user's active sessions, newest first, marking the current one.
func (s *Service) ListSessions(ctx context.Context, userID, currentID string) (SessionList, error) {
	if s.sessions == nil {
		return SessionList{}, errors.New("user: this service keeps no sessions")
	}
	all, err := s.sessions.UserSessions(ctx, userID)
	if err != nil {
		return SessionList{}, err
	}
	now := s.now()
	out := SessionList{Items: []SessionRecord{}}
	for _, r := range all {
		if !r.Active(now) || len(out.Items) == sessionsListedMax {
			continue
		}
		r.Current = r.ID == currentID
		out.Items = append(out.Items, r)
	}
	return out, nil
}
