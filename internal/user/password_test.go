package user

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/problem"
)

func (m *memStore) SetPassword(_ context.Context, userID, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[userID]
	if !ok {
		return problem.ErrNotFound
	}
	u.PasswordHash = hash
	m.byID[userID] = u
	return nil
}

func (m *memStore) ResetPassword(_ context.Context, c Code, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := c.Purpose + "#" + c.UserID
	if cur, ok := m.codes[k]; !ok || cur.Hash != c.Hash {
		return ErrInvalidCode
	}
	delete(m.codes, k)
	u := m.byID[c.UserID]
	u.PasswordHash = hash
	m.byID[c.UserID] = u
	return nil
}

// codeOf is the problem code of err ("" for nil or another error).
func codeOf(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Code
	}
	return ""
}

const (
	oldPassword = "correct horse battery"
	newPassword = "a brand new passphrase"
)

// passwordService is a service with ada signed up and logged in on two devices.
func passwordService(t *testing.T) (*Service, *memStore, *outbox, *clock, [2]Session) {
	t.Helper()
	s, store, box, clk := newMailService(t)
	s.UsePasswords(store)
	ctx := context.Background()
	_, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: oldPassword, Name: "Ada"})
	require.NoError(t, err)
	var sessions [2]Session
	for i := range sessions {
		sessions[i], err = s.Login(ctx, LoginInput{Email: "ada@example.com", Password: oldPassword})
		require.NoError(t, err)
	}
	return s, store, box, clk, sessions
}

func activeSessions(t *testing.T, s *Service, userID string) []string {
	t.Helper()
	list, err := s.ListSessions(context.Background(), userID, "")
	require.NoError(t, err)
	var ids []string
	for _, r := range list.Items {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestChangePassword(t *testing.T) {
	s, store, _, _, sess := passwordService(t)
	ctx := context.Background()
	u, err := store.ByEmail(ctx, "ada@example.com")
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		in   PasswordChange
		code string
	}{
		{"wrong current password", PasswordChange{CurrentPassword: "not the password", NewPassword: newPassword}, "invalid_current_password"},
		{"no current password", PasswordChange{NewPassword: newPassword}, "missing_field"},
		{"new password too short", PasswordChange{CurrentPassword: oldPassword, NewPassword: "short"}, "invalid_password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.ChangePassword(ctx, u.ID, sess[0].SessionID, tc.in)
			assert.Equal(t, tc.code, codeOf(err))
			assert.Len(t, activeSessions(t, s, u.ID), 2, "a refused change ends no session")
		})
	}

	in := PasswordChange{CurrentPassword: oldPassword, NewPassword: newPassword}
	require.NoError(t, s.ChangePassword(ctx, u.ID, sess[0].SessionID, in))
	assert.Equal(t, []string{sess[0].SessionID}, activeSessions(t, s, u.ID), "only the caller's session goes on")
	_, err = s.Login(ctx, LoginInput{Email: "ada@example.com", Password: oldPassword})
	assert.ErrorIs(t, err, ErrInvalidCredentials, "the old password is refused")
	_, err = s.Login(ctx, LoginInput{Email: "ada@example.com", Password: newPassword})
	require.NoError(t, err)
	assert.Equal(t, "invalid_current_password", codeOf(s.ChangePassword(ctx, u.ID, sess[0].SessionID, in)),
		"the same change again is refused: the old password no longer is the current one")
}

func TestPasswordReset(t *testing.T) {
	s, store, box, clk, _ := passwordService(t)
	ctx := context.Background()
	u, err := store.ByEmail(ctx, "ada@example.com")
	require.NoError(t, err)

	_, verifyCode := box.last("ada@example.com")
	require.NotEmpty(t, verifyCode)
	require.NoError(t, s.RequestReset(ctx, ResetRequest{Email: "nobody@example.com"}), "an unknown address is answered alike")
	got, noCode := box.last("nobody@example.com")
	assert.Equal(t, "nobody@example.com", got.to, "after the same work: it is emailed a notice")
	assert.Empty(t, noCode, "which holds no code")
	assert.Contains(t, got.text, "has no account")
	stand := noAccount("nobody@example.com")
	require.Contains(t, store.codes, PurposeReset+"#"+stand.ID, "the same code write, under the address's own id")
	_, err = store.ByID(ctx, stand.ID)
	assert.ErrorIs(t, err, problem.ErrNotFound, "an id no account has")
	sentBefore := len(box.mail)
	require.NoError(t, s.RequestReset(ctx, ResetRequest{Email: "nobody@example.com"}))
	assert.Len(t, box.mail, sentBefore, "at most one notice per CodeResendInterval, like a code")

	require.NoError(t, s.RequestReset(ctx, ResetRequest{Email: " Ada@Example.com "}))
	_, code := box.last("ada@example.com")
	require.NotEmpty(t, code)
	assert.Equal(t, hashCode(u.ID, PurposeReset, code), store.codes[PurposeReset+"#"+u.ID].Hash, "only the hash is stored")
	require.NoError(t, s.RequestReset(ctx, ResetRequest{Email: "ada@example.com"}))
	_, again := box.last("ada@example.com")
	assert.Equal(t, code, again, "no second code within CodeResendInterval")

	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	for _, tc := range []struct {
		name string
		in   ResetConfirm
		code string
	}{
		{"wrong code", ResetConfirm{Email: "ada@example.com", Code: wrong, NewPassword: newPassword}, "invalid_code"},
		{"unknown address", ResetConfirm{Email: "nobody@example.com", Code: code, NewPassword: newPassword}, "invalid_code"},
		{"malformed code", ResetConfirm{Email: "ada@example.com", Code: "12ab56", NewPassword: newPassword}, "invalid_code"},
		{"verification purpose", ResetConfirm{Email: "ada@example.com", Code: verifyCode, NewPassword: newPassword}, "invalid_code"},
		{"new password too short", ResetConfirm{Email: "ada@example.com", Code: code, NewPassword: "short"}, "invalid_password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.code, codeOf(s.ConfirmReset(ctx, tc.in)))
			assert.Len(t, activeSessions(t, s, u.ID), 2, "a refused reset ends no session")
		})
	}

	in := ResetConfirm{Email: "ada@example.com", Code: code, NewPassword: newPassword}
	require.NoError(t, s.ConfirmReset(ctx, in))
	assert.Empty(t, activeSessions(t, s, u.ID), "every session ended")
	_, err = s.Login(ctx, LoginInput{Email: "ada@example.com", Password: newPassword})
	require.NoError(t, err)
	assert.ErrorIs(t, s.ConfirmReset(ctx, in), ErrInvalidCode, "a code works once")

	clk.advance(CodeResendInterval)
	require.NoError(t, s.RequestReset(ctx, ResetRequest{Email: "ada@example.com"}))
	_, late := box.last("ada@example.com")
	clk.advance(CodeTTL)
	assert.ErrorIs(t, s.ConfirmReset(ctx, ResetConfirm{Email: "ada@example.com", Code: late, NewPassword: newPassword}), ErrInvalidCode,
		"an expired code is refused")
}

func TestResetCodeAttemptsAreLimited(t *testing.T) {
	s, _, box, _, _ := passwordService(t)
	ctx := context.Background()
	require.NoError(t, s.RequestReset(ctx, ResetRequest{Email: "ada@example.com"}))
	_, code := box.last("ada@example.com")
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	for range CodeAttemptsMax {
		require.ErrorIs(t, s.ConfirmReset(ctx, ResetConfirm{Email: "ada@example.com", Code: wrong, NewPassword: newPassword}), ErrInvalidCode)
	}
	assert.ErrorIs(t, s.ConfirmReset(ctx, ResetConfirm{Email: "ada@example.com", Code: code, NewPassword: newPassword}), ErrInvalidCode,
		"the right code after CodeAttemptsMax wrong ones is refused")
}
