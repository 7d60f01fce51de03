package user

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// TokenIssuer signs access tokens.
type TokenIssuer interface {
	Issue(ctx context.Context, userID, role string, emailVerified bool, sessionID string) (token string, expiresInSeconds int, err error)
}

// LoginGuard locks an account out after repeated failed logins. Accounts are named by
// their normalised email whether or not a user has it, so the guard answers the same for
// unknown emails.
type LoginGuard interface {
	// Take takes a failure slot before the password is checked, or refuses (429) while
	// the account is locked; the slot counts as a failure unless Succeeded gives it back.
	Take(ctx context.Context, account string) (slot string, err error)
	Succeeded(ctx context.Context, account, slot string) error
}

// Service implements sign-up, login and profile reads.
type Service struct {
	store  Store
	tokens TokenIssuer
	guard  LoginGuard
	now    func() time.Time
	// decoyHash is verified when the email is unknown, so unknown and known emails
	// cost the same argon2id work and cannot be told apart by timing. Only a service
	// that can issue tokens logs in, so only that one pays for it at cold start.
	decoyHash string
	verify    func(password, hash string) (bool, error)
	mail      Mailer // sign-up and verification mail (UseMail)
	codes     Codes
	sessions  Sessions  // login sessions and refresh tokens (UseSessions)
	passwords Passwords // password change and reset (UsePasswords)
}

// NewService builds a Service. A service that logs in (tokens set) needs a guard; one
// that only signs up or reads may pass nil for both.
func NewService(store Store, tokens TokenIssuer, guard LoginGuard, now func() time.Time) (*Service, error) {
	if tokens != nil && guard == nil {
		return nil, errors.New("user: a service that logs in needs a login guard")
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{store: store, tokens: tokens, guard: guard, now: now, verify: auth.VerifyPassword}
	if tokens != nil {
		s.decoyHash = auth.DecoyHash()
	}
	return s, nil
}

// SignupInput is what a client may send to sign up; anything else is refused.
type SignupInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// Signup creates an unverified user and emails it a verification code, stored (as a
// hash) in the same transaction as the user. An address that already has an account is
// sent a notice instead, and no second account is made; the caller answers both alike,
// so signing up tells nobody whether an address is taken. The returned user is the zero
// value then. Every account signs up as a user: the admin role is only ever granted by
// an operator (internal/admin).
func (s *Service) Signup(ctx context.Context, in SignupInput) (User, error) {
	if s.mail == nil || s.codes == nil {
		return User{}, errors.New("user: this service cannot sign up (no mailer)")
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	name, err := NormalizeName(in.Name)
	if err != nil {
		return User{}, err
	}
	if err := ValidatePassword(in.Password); err != nil {
		return User{}, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	u := User{
		ID:           uuid.NewString(),
		Email:        email,
		Name:         name,
		Role:         auth.RoleUser,
		CreatedAt:    s.now().UTC().Truncate(time.Millisecond),
		PasswordHash: hash,
	}
	c, code, err := s.issueCode(u, PurposeVerify)
	if err != nil {
		return User{}, err
	}
	// A creation that lost a race wrote nothing: it is tried again, and then finds the
	// email claimed or free.
	err = retry.Conflicts(ctx, func(int) error { return s.store.Create(ctx, u, c) })
	if errors.Is(err, ErrEmailTaken) {
		return User{}, s.mail.Send(ctx, email, "Someone tried to sign up with your address", noticeText)
	}
	if err != nil {
		return User{}, err
	}
	if err := s.mail.Send(ctx, email, "Your wallet verification code", verifyText(code)); err != nil {
		return User{}, err
	}
	return u, nil
}

// LoginInput is what a client sends to log in; IP is the request's source.
type LoginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Device   string `json:"device,omitempty"`
	IP       string `json:"-"`
}

// Session is the login (and refresh) answer: a short access token and the session's
// refresh token, which rotates on every use.
type Session struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresInSeconds int    `json:"expires_in"`
	SessionID        string `json:"session_id"`
	RefreshToken     string `json:"refresh_token,omitempty"` // moved to a cookie for browsers
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

// Login checks the credentials and issues an access token. A malformed email, an
// unknown email and a wrong password all give ErrInvalidCredentials after the same work,
// and all count towards the account's lock-out alike: every attempt takes a failure slot
// before the password is looked at, and while the account is locked (its slots gone)
// every attempt is refused with 429 unchecked.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	if in.Email == "" || in.Password == "" {
		return Session{}, problem.Invalid("missing_field", "email and password are required")
	}
	if s.tokens == nil {
		return Session{}, errors.New("user: this service cannot log in (no token issuer)")
	}
	hash := s.decoyHash
	email, emailErr := NormalizeEmail(in.Email)
	account := email
	if emailErr != nil {
		account = strings.ToLower(strings.TrimSpace(in.Email))
	}
	slot, err := s.guard.Take(ctx, account)
	if err != nil {
		return Session{}, err
	}
	var u User
	if emailErr == nil {
		found, err := s.store.ByEmail(ctx, email)
		switch {
		case err == nil:
			u, hash = found, found.PasswordHash
		case !errors.Is(err, problem.ErrNotFound):
			return Session{}, err
		}
	}
	ok, err := s.verify(in.Password, hash)
	if err != nil {
		return Session{}, fmt.Errorf("verify password of %s: %w", u.ID, err)
	}
	if !ok || u.ID == "" {
		return Session{}, ErrInvalidCredentials
	}
	if err := s.guard.Succeeded(ctx, account, slot); err != nil {
		return Session{}, err
	}
	if s.sessions == nil {
		return Session{}, errors.New("user: this service cannot log in (no session store)")
	}
	return s.startSession(ctx, u, in.Device, in.IP)
}

// Get returns a user by id.
func (s *Service) Get(ctx context.Context, id string) (User, error) {
	return s.store.ByID(ctx, id)
}
