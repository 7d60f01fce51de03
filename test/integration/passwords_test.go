//go:build integration

package integration

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const newTestPassword = "an entirely new passphrase"

func refreshWith(t *testing.T, token string) reply {
	t.Helper()
	return do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": token}})
}

func loginStatus(t *testing.T, email, password string) reply {
	t.Helper()
	return do(t, call{method: "POST", path: "/v1/auth/login", body: map[string]string{"email": email, "password": password}})
}

// TestPasswordChange: POST /v1/auth/password with the current password answers 204; the
// old password is refused from then on, the user's other session is revoked (its refresh
// token refused, its access token stops) and the caller's session goes on.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "pwchange")
	mine := sessionOf(t, a.Email, "phone", nil).JSON(t)
	other := sessionOf(t, a.Email, "laptop", nil).JSON(t)
	token := mine["access_token"].(string)

	for _, tc := range []struct {
		name string
		body map[string]string
		code string
	}{
		{"wrong current password", map[string]string{"current_password": "not the password at all", "new_password": newTestPassword}, "invalid_current_password"},
		{"new password too short", map[string]string{"current_password": testPassword, "new_password": "short"}, "invalid_password"},
		{"unknown field", map[string]string{"current_password": testPassword, "new_password": newTestPassword, "role": "admin"}, "invalid_body"},
	} {
		r := do(t, call{method: "POST", path: "/v1/auth/password", token: token, body: tc.body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", tc.name, r.Body)
		assert.Equal(t, tc.code, r.ErrorCode(), tc.name)
	}
	require.Equal(t, http.StatusOK, loginStatus(t, a.Email, testPassword).Status, "a refused change changed nothing")

	r := do(t, call{method: "POST", path: "/v1/auth/password", token: token,
		body: map[string]string{"current_password": testPassword, "new_password": newTestPassword}})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)

	old := loginStatus(t, a.Email, testPassword)
	assert.Equal(t, http.StatusUnauthorized, old.Status, "%s", old.Body)
	assert.Equal(t, "invalid_credentials", old.ErrorCode(), "the old password is refused")
	assert.Equal(t, http.StatusOK, loginStatus(t, a.Email, newTestPassword).Status, "the new one works")

	gone := refreshWith(t, other["refresh_token"].(string))
	assert.Equal(t, http.StatusUnauthorized, gone.Status, "%s", gone.Body)
	assert.Equal(t, "invalid_refresh_token", gone.ErrorCode(), "the other session is revoked")
	kept := refreshWith(t, mine["refresh_token"].(string))
	assert.Equal(t, http.StatusOK, kept.Status, "the caller's session goes on: %s", kept.Body)
	requireTokenStops(t, other["access_token"].(string))

	unauth := do(t, call{method: "POST", path: "/v1/auth/password",
		body: map[string]string{"current_password": newTestPassword, "new_password": testPassword}})
	assert.Equal(t, http.StatusUnauthorized, unauth.Status, "a change needs a bearer token")
}

// TestPasswordReset: POST /v1/auth/password-reset answers 202 alike for an unknown
// address (which gets a notice without a code) and an account's address (which gets a
// code); a wrong
// code is 400 invalid_code; the emailed code sets the new password (204) once, and every
// session of the user ends.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "pwreset")
	sess := sessionOf(t, a.Email, "phone", nil).JSON(t)
	nobody := newEmail("pwreset-nobody")
	seen, err := inbox(t).Messages(context.Background(), a.Email)
	require.NoError(t, err)

	unknown := do(t, call{method: "POST", path: "/v1/auth/password-reset", body: map[string]string{"email": nobody}})
	require.Equal(t, http.StatusAccepted, unknown.Status, "%s", unknown.Body)
	known := do(t, call{method: "POST", path: "/v1/auth/password-reset", body: map[string]string{"email": a.Email}})
	require.Equal(t, http.StatusAccepted, known.Status, "%s", known.Body)
	assert.JSONEq(t, string(known.Body), string(unknown.Body), "the same answer whether or not the address has an account")

	msgs := mailAfter(t, a.Email, len(seen))
	code := msgs[len(msgs)-1].Code()
	require.Len(t, code, 6, "the reset email carries a code: %q", msgs[len(msgs)-1].Text)
	notice := mailAfter(t, nobody, 0)
	require.Len(t, notice, 1, "an unknown address gets one email, after the same work as a known one")
	assert.Empty(t, notice[0].Code(), "a notice without a code: %q", notice[0].Text)
	assert.Contains(t, notice[0].Text, "has no account")

	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	confirm := func(email, code string) reply {
		return do(t, call{method: "POST", path: "/v1/auth/password-reset/confirm",
			body: map[string]string{"email": email, "code": code, "new_password": newTestPassword}})
	}
	for _, tc := range []struct{ name, email, code string }{
		{"wrong code", a.Email, wrong},
		{"unknown address", nobody, code},
	} {
		r := confirm(tc.email, tc.code)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", tc.name, r.Body)
		assert.Equal(t, "invalid_code", r.ErrorCode(), tc.name)
	}
	require.Equal(t, http.StatusOK, refreshWith(t, sess["refresh_token"].(string)).Status, "a refused reset ends no session")
	sess = sessionOf(t, a.Email, "phone", nil).JSON(t)

	r := confirm(a.Email, code)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	again := confirm(a.Email, code)
	assert.Equal(t, http.StatusBadRequest, again.Status, "%s", again.Body)
	assert.Equal(t, "invalid_code", again.ErrorCode(), "a reset code works once")

	assert.Equal(t, http.StatusUnauthorized, loginStatus(t, a.Email, testPassword).Status, "the old password is refused")
	assert.Equal(t, http.StatusOK, loginStatus(t, a.Email, newTestPassword).Status, "the new one works")
	gone := refreshWith(t, sess["refresh_token"].(string))
	assert.Equal(t, http.StatusUnauthorized, gone.Status, "%s", gone.Body)
	assert.Equal(t, "invalid_refresh_token", gone.ErrorCode(), "every session is revoked")
	requireTokenStops(t, sess["access_token"].(string))
}
