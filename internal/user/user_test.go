package user

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/ratelimit/ratelimittest"
	"github.com/serverless-wallet/wallet/internal/retry"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"  Ada@Example.COM ", "ada@example.com", true},
		{"a.b+tag@sub.example.org", "a.b+tag@sub.example.org", true},
		{"", "", false},
		{"no-at-sign", "", false},
		{"Ada <ada@example.com>", "", false},
		{"ada@localhost", "", false},
		{strings.Repeat("a", 250) + "@example.com", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if !tt.ok {
				p, isProblem := problem.As(err)
				require.True(t, isProblem, "err = %v", err)
				assert.Equal(t, "invalid_email", p.Code)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestValidatePassword(t *testing.T) {
	tests := map[string]struct {
		pw string
		ok bool
	}{
		"11 characters":            {strings.Repeat("a", 11), false},
		"12 characters":            {strings.Repeat("a", 12), true},
		"128 characters":           {strings.Repeat("a", 128), true},
		"129 characters":           {strings.Repeat("a", 129), false},
		"12 multi-byte characters": {strings.Repeat("é", 12), true},
		"invalid utf-8":            {strings.Repeat("\xff", 12), false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := ValidatePassword(tt.pw)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	got, err := NormalizeName("  Ada Lovelace ")
	require.NoError(t, err)
	assert.Equal(t, "Ada Lovelace", got)
	for _, bad := range []string{"", "   ", strings.Repeat("n", 101), "bell\a"} {
		_, err := NormalizeName(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// memStore is a small in-memory Store.
type memStore struct {
	mu         sync.Mutex
	byID       map[string]User
	byEmail    map[string]string
	createErrs []error // answered by Create, one per call, before it writes
	codes      map[string]Code
}

func newMemStore() *memStore {
	return &memStore{byID: map[string]User{}, byEmail: map[string]string{}, codes: map[string]Code{}}
}

func (m *memStore) Create(_ context.Context, u User, c Code) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.createErrs) > 0 {
		err := m.createErrs[0]
		m.createErrs = m.createErrs[1:]
		return err
	}
	if _, taken := m.byEmail[u.Email]; taken {
		return ErrEmailTaken
	}
	m.byEmail[u.Email] = u.ID
	m.byID[u.ID] = u
	m.codes[c.Purpose+"#"+c.UserID] = c
	return nil
}

func (m *memStore) ByEmail(ctx context.Context, email string) (User, error) {
	m.mu.Lock()
	id, ok := m.byEmail[email]
	m.mu.Unlock()
	if !ok {
		return User{}, problem.ErrNotFound
	}
	return m.ByID(ctx, id)
}

func (m *memStore) ByID(_ context.Context, id string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return User{}, problem.ErrNotFound
	}
	return u, nil
}

type fakeTokens struct{}

func (fakeTokens) Issue(_ context.Context, userID, role string, _ bool, _ string) (string, int, error) {
	return "tok:" + userID + ":" + role, 900, nil
}

// testPolicy locks after 3 failures for 30 s, doubling up to 120 s.
var testPolicy = ratelimit.LockoutPolicy{FailuresMax: 3, Window: 10 * time.Minute, LockBase: 30 * time.Second, LockMax: 2 * time.Minute}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestService(t *testing.T) (*Service, *memStore, *int) {
	s, store, verifications, _, _ := newGuardedService(t)
	return s, store, verifications
}

func newGuardedService(t *testing.T) (*Service, *memStore, *int, *clock, *ratelimittest.Locks) {
	t.Helper()
	store := newMemStore()
	clk := &clock{t: time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)}
	locks := &ratelimittest.Locks{}
	guard, err := ratelimit.NewLockout(testPolicy, locks, clk.now)
	require.NoError(t, err)
	s, err := NewService(store, fakeTokens{}, guard, clk.now)
	require.NoError(t, err)
	s.UseMail(&outbox{}, store)
	s.UseSessions(newMemSessions())
	verifications := 0
	real := s.verify
	s.verify = func(pw, hash string) (bool, error) { verifications++; return real(pw, hash) }
	return s, store, &verifications, clk, locks
}

func TestSignup(t *testing.T) {
	s, store, _ := newTestService(t)
	ctx := context.Background()

	u, err := s.Signup(ctx, SignupInput{Email: " Ada@Example.com", Password: "correct horse battery", Name: " Ada "})
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", u.Email)
	assert.Equal(t, "Ada", u.Name)
	assert.Equal(t, auth.RoleUser, u.Role)
	assert.Equal(t, "2026-05-06T07:08:09.123Z", u.CreatedAt.Format("2006-01-02T15:04:05.000Z07:00"))
	ok, err := auth.VerifyPassword("correct horse battery", store.byID[u.ID].PasswordHash)
	require.NoError(t, err)
	assert.True(t, ok, "the stored hash verifies the password")

	boss, err := s.Signup(ctx, SignupInput{Email: "admin@example.com", Password: "correct horse battery", Name: "Boss"})
	require.NoError(t, err)
	assert.Equal(t, auth.RoleUser, boss.Role, "whatever the address, a sign-up is a user: admins are granted (internal/admin)")

	again, err := s.Signup(ctx, SignupInput{Email: "ADA@example.com", Password: "correct horse battery", Name: "Again"})
	require.NoError(t, err, "a taken address answers like a free one")
	assert.Empty(t, again.ID, "no second account")

	_, err = s.Signup(ctx, SignupInput{Email: "new@example.com", Password: "short", Name: "New"})
	assert.Error(t, err)
	assert.Len(t, store.byID, 2, "refused signups store nothing")
}

// TestSignupAfterALostRace: a creation cancelled by a concurrent write is tried again;
// any other failure is not.
func TestSignupAfterALostRace(t *testing.T) {
	s, store, _ := newTestService(t)
	store.createErrs = []error{retry.ErrConflict, retry.ErrConflict}
	u, err := s.Signup(context.Background(), SignupInput{Email: "race@example.com", Password: "correct horse battery", Name: "R"})
	require.NoError(t, err)
	assert.Contains(t, store.byID, u.ID)

	boom := errors.New("dynamodb: unavailable")
	store.createErrs = []error{boom, nil}
	_, err = s.Signup(context.Background(), SignupInput{Email: "boom@example.com", Password: "correct horse battery", Name: "B"})
	assert.ErrorIs(t, err, boom)
	assert.Len(t, store.createErrs, 1, "not tried again")
}

func TestLogin(t *testing.T) {
	s, _, verifications := newTestService(t)
	ctx := context.Background()
	u, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
	require.NoError(t, err)

	sess, err := s.Login(ctx, LoginInput{Email: "ADA@example.com ", Password: "correct horse battery"})
	require.NoError(t, err)
	assert.Equal(t, "tok:"+u.ID+":user", sess.AccessToken)
	assert.Equal(t, "Bearer", sess.TokenType)
	assert.Equal(t, 900, sess.ExpiresInSeconds)
	assert.NotEmpty(t, sess.SessionID)
	assert.NotEmpty(t, sess.RefreshToken)

	tests := map[string]LoginInput{
		"wrong password":  {Email: "ada@example.com", Password: "wrong password!!"},
		"unknown email":   {Email: "nobody@example.com", Password: "correct horse battery"},
		"malformed email": {Email: "nobody", Password: "correct horse battery"},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			before := *verifications
			_, err := s.Login(ctx, in)
			assert.ErrorIs(t, err, ErrInvalidCredentials)
			assert.Equal(t, before+1, *verifications, "one argon2id verification, whether or not the email exists")
		})
	}

	_, err = s.Login(ctx, LoginInput{Email: "ada@example.com"})
	p, ok := problem.As(err)
	require.True(t, ok)
	assert.Equal(t, problem.KindInvalid, p.Kind)
}

func TestLoginLockout(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		password string // the right one for the known account
		known    bool
	}{
		{"known email", "ada@example.com", "correct horse battery", true},
		{"unknown email", "nobody@example.com", "correct horse battery", false},
		{"malformed email", "nobody", "correct horse battery", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, verifications, clk, locks := newGuardedService(t)
			ctx := context.Background()
			_, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
			require.NoError(t, err)
			wrong := LoginInput{Email: tt.email, Password: "not the password"}
			right := LoginInput{Email: tt.email, Password: tt.password}

			for i := range testPolicy.FailuresMax {
				_, err := s.Login(ctx, wrong)
				require.ErrorIs(t, err, ErrInvalidCredentials, "failure %d", i+1)
			}
			refused := func(wantRetryAfter int) {
				t.Helper()
				before := *verifications
				_, err := s.Login(ctx, right)
				p, ok := problem.As(err)
				require.True(t, ok, "got %v", err)
				assert.Equal(t, problem.KindRateLimited, p.Kind)
				assert.Equal(t, "rate_limited", p.Code)
				assert.Equal(t, wantRetryAfter, p.RetryAfterSeconds)
				assert.Equal(t, before, *verifications, "a locked account's password is not even checked")
			}
			refused(30)
			clk.advance(10 * time.Second)
			refused(20)

			clk.advance(21 * time.Second)
			_, err = s.Login(ctx, wrong)
			require.ErrorIs(t, err, ErrInvalidCredentials)
			refused(60) // the next failure doubles the lock

			clk.advance(61 * time.Second)
			_, err = s.Login(ctx, wrong)
			require.ErrorIs(t, err, ErrInvalidCredentials)
			refused(120)
			clk.advance(121 * time.Second)
			_, err = s.Login(ctx, wrong)
			require.ErrorIs(t, err, ErrInvalidCredentials)
			refused(120) // capped at LockMax

			clk.advance(121 * time.Second)
			_, err = s.Login(ctx, right)
			if tt.known {
				require.NoError(t, err)
				assert.Zero(t, locks.Accounts(), "a success forgets the failures")
				_, err = s.Login(ctx, wrong)
				require.ErrorIs(t, err, ErrInvalidCredentials, "counting starts again from zero")
				_, err = s.Login(ctx, right)
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrInvalidCredentials)
			}
		})
	}
}

func TestLoginFailuresOutsideTheWindowDoNotLock(t *testing.T) {
	s, _, _, clk, _ := newGuardedService(t)
	ctx := context.Background()
	wrong := LoginInput{Email: "ada@example.com", Password: "not the password"}
	for range testPolicy.FailuresMax - 1 {
		_, err := s.Login(ctx, wrong)
		require.ErrorIs(t, err, ErrInvalidCredentials)
	}
	clk.advance(testPolicy.Window)
	for range testPolicy.FailuresMax - 1 {
		_, err := s.Login(ctx, wrong)
		require.ErrorIs(t, err, ErrInvalidCredentials, "a new window starts from zero")
	}
}

func TestLoginNeedsAGuard(t *testing.T) {
	_, err := NewService(newMemStore(), fakeTokens{}, nil, nil)
	assert.Error(t, err)
}
