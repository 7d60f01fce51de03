//go:build integration

package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	r := do(t, call{method: "GET", path: "/v1/health"})
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, map[string]any{"status": "ok"}, r.JSON(t))
}

// TestSignup: a new address answers 202, gets a code by email and an unverified account;
// the same address again (in another case) answers the same 202, gets a notice without a
// code, and no second account is made.
func TestSignup(t *testing.T) {
	t.Parallel()
	email := newEmail("Signup")
	lower := strings.ToLower(email)
	r := do(t, call{method: "POST", path: "/v1/auth/signup",
		body: map[string]string{"email": "  " + strings.ToUpper(email) + " ", "password": testPassword, "name": " Ada "}})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	assert.Equal(t, map[string]any{"status": "verification_sent"}, r.JSON(t))
	mail := mailAfter(t, lower, 0)
	require.Len(t, mail, 1)
	assert.NotEmpty(t, mail[0].Code(), "the email carries a code: %q", mail[0].Text)

	me := do(t, call{method: "GET", path: "/v1/me", token: login(t, lower, testPassword)})
	require.Equal(t, http.StatusOK, me.Status, "an unverified account can log in: %s", me.Body)
	u := me.JSON(t)
	assert.Equal(t, lower, u["email"], "email is trimmed and lower-cased")
	assert.Equal(t, "Ada", u["name"])
	assert.Equal(t, "user", u["role"])
	assert.Equal(t, false, u["email_verified"])

	t.Run("the same email in another case gets a notice, not a second account", func(t *testing.T) {
		again := do(t, call{method: "POST", path: "/v1/auth/signup",
			body: map[string]string{"email": strings.ToUpper(email), "password": "another long password", "name": "Other"}})
		require.Equal(t, http.StatusAccepted, again.Status, "%s", again.Body)
		assert.Equal(t, r.Body, again.Body, "the same answer as for a free address")
		mail := mailAfter(t, lower, 1)
		require.Len(t, mail, 2)
		assert.Empty(t, mail[1].Code(), "a notice carries no code: %q", mail[1].Text)
		assert.Contains(t, mail[1].Text, "already has an account")
		r := do(t, call{method: "POST", path: "/v1/auth/login", body: map[string]string{"email": lower, "password": "another long password"}})
		assert.Equal(t, http.StatusUnauthorized, r.Status, "the second signup's password made no account")
	})
}

// TestEmailVerification: a wrong code, an unknown address and a used code all answer 400
// invalid_code; the emailed code verifies once; an unverified account's money moves
// answer 403 email_not_verified until it verifies and logs in again.
func TestEmailVerification(t *testing.T) {
	t.Parallel()
	u := signupUnverified(t, "verify")
	w := createWallet(t, u.Token, "USD").ID
	r := credit(t, u.Token, w, uuid.NewString(), 100)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "email_not_verified", r.ErrorCode())
	r = postTransfer(t, u.Token, uuid.NewString(), transferBody(w, w, 1))
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "email_not_verified", r.ErrorCode())

	code, err := inbox(t).LatestCode(context.Background(), u.Email)
	require.NoError(t, err)
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	for name, body := range map[string]map[string]string{
		"wrong code":    {"email": u.Email, "code": wrong},
		"unknown email": {"email": newEmail("verify-nobody"), "code": code},
		"not digits":    {"email": u.Email, "code": "abcdef"},
	} {
		r := do(t, call{method: "POST", path: "/v1/auth/verify", body: body})
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", name, r.Body)
		assert.Equal(t, "invalid_code", r.ErrorCode(), name)
	}
	ok := do(t, call{method: "POST", path: "/v1/auth/verify", body: map[string]string{"email": u.Email, "code": code}})
	require.Equal(t, http.StatusOK, ok.Status, "%s", ok.Body)
	assert.Equal(t, true, ok.JSON(t)["email_verified"])
	used := do(t, call{method: "POST", path: "/v1/auth/verify", body: map[string]string{"email": u.Email, "code": code}})
	assert.Equal(t, http.StatusBadRequest, used.Status)
	assert.Equal(t, "invalid_code", used.ErrorCode(), "a code works once")

	token := login(t, u.Email, testPassword)
	me := do(t, call{method: "GET", path: "/v1/me", token: token})
	assert.Equal(t, true, me.JSON(t)["email_verified"])
	r = credit(t, token, w, uuid.NewString(), 100)
	assert.Equal(t, http.StatusCreated, r.Status, "a verified account moves money: %s", r.Body)
}

// TestVerificationResend: resend answers 202 for any address; an unverified account gets
// a new code, which replaces the old one.
func TestVerificationResend(t *testing.T) {
	t.Parallel()
	u := signupUnverified(t, "resend")
	for _, email := range []string{u.Email, newEmail("resend-nobody")} {
		r := do(t, call{method: "POST", path: "/v1/auth/verify/resend", body: map[string]string{"email": email}})
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		assert.Equal(t, map[string]any{"status": "verification_sent"}, r.JSON(t))
	}
	box := inbox(t)
	ms, err := box.Messages(context.Background(), u.Email)
	require.NoError(t, err)
	assert.Len(t, ms, 1, "no second code within the resend interval")
	verifyEmail(t, u.Email)
}

func TestSignupRefusesBadInput(t *testing.T) {
	t.Parallel()
	valid := func() map[string]any {
		return map[string]any{"email": newEmail("bad"), "password": testPassword, "name": "N"}
	}
	with := func(k string, v any) map[string]any { m := valid(); m[k] = v; return m }
	without := func(k string) map[string]any { m := valid(); delete(m, k); return m }
	tests := []struct {
		name string
		body any
		code string // the function's
		at   door
	}{
		{"malformed json", `{"email": "a@b.co",`, "invalid_json", badBody},
		{"not an object", `[1,2]`, "invalid_type", badBody},
		{"empty body", ``, "invalid_json", badBody},
		{"two objects", `{"email":"a@b.co"} {}`, "invalid_json", badBody},
		{"email wrong type", with("email", 42), "invalid_type", badBody},
		{"password wrong type", with("password", true), "invalid_type", badBody},
		{"missing email", without("email"), "invalid_email", badBody},
		{"missing password", without("password"), "invalid_password", badBody},
		{"missing name", without("name"), "invalid_name", badBody},
		{"bad email", with("email", "not-an-email"), "invalid_email", pastTheDoor},
		{"email domain without a dot", with("email", "ada@localhost"), "invalid_email", pastTheDoor},
		{"name with a control character", with("name", "Ada\u0007"), "invalid_name", pastTheDoor},
		{"password 11 characters", with("password", "elevenchars"), "invalid_password", badBody},
		{"password 129 characters", with("password", strings.Repeat("p", 129)), "invalid_password", badBody},
		{"client sets its role", with("role", "admin"), "unknown_field", badBody},
		{"client sets its id", with("id", "u-1"), "unknown_field", badBody},
		{"body over 64 KiB", with("name", strings.Repeat("x", 70*1024)), "body_too_large", badBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRefusal(t, call{method: "POST", path: "/v1/auth/signup", body: tt.body}, account{}, http.StatusBadRequest, tt.code, tt.at)
		})
	}

	t.Run("a refused signup creates nothing", func(t *testing.T) {
		email := newEmail("refused")
		r := do(t, call{method: "POST", path: "/v1/auth/signup", body: map[string]any{"email": email, "password": "short", "name": "N"}})
		require.Equal(t, http.StatusBadRequest, r.Status)
		r = do(t, call{method: "POST", path: "/v1/auth/signup", body: map[string]any{"email": email, "password": testPassword, "name": "N"}})
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		mail := mailAfter(t, email, 0)
		assert.NotEmpty(t, mail[0].Code(), "the email was still free: it got a code, not a notice")
	})

	t.Run("password length counts characters, 12 is enough", func(t *testing.T) {
		r := do(t, call{method: "POST", path: "/v1/auth/signup", body: with("password", "twelve chars")})
		assert.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "login")

	r := do(t, call{method: "POST", path: "/v1/auth/login", body: map[string]string{"email": strings.ToUpper(a.Email), "password": testPassword}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	s := r.JSON(t)
	assert.Equal(t, "Bearer", s["token_type"])
	assert.EqualValues(t, 900, s["expires_in"])
	assert.NotEmpty(t, s["access_token"])

	tests := []struct {
		name string
		body any
		want int
		code string // the function's
		at   door
	}{
		{"wrong password", map[string]string{"email": a.Email, "password": "wrong password!!"}, http.StatusUnauthorized, "invalid_credentials", pastTheDoor},
		{"unknown email", map[string]string{"email": newEmail("nobody"), "password": testPassword}, http.StatusUnauthorized, "invalid_credentials", pastTheDoor},
		{"malformed email", map[string]string{"email": "nobody", "password": testPassword}, http.StatusUnauthorized, "invalid_credentials", pastTheDoor},
		{"empty password", map[string]string{"email": a.Email, "password": ""}, http.StatusBadRequest, "missing_field", pastTheDoor},
		{"missing password", map[string]string{"email": a.Email}, http.StatusBadRequest, "missing_field", badBody},
		{"extra field", map[string]string{"email": a.Email, "password": testPassword, "role": "admin"}, http.StatusBadRequest, "unknown_field", badBody},
		{"malformed json", `{"email":`, http.StatusBadRequest, "invalid_json", badBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRefusal(t, call{method: "POST", path: "/v1/auth/login", body: tt.body}, account{}, tt.want, tt.code, tt.at)
		})
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "me")
	r := do(t, call{method: "GET", path: "/v1/me", token: a.Token})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	me := r.JSON(t)
	assert.Equal(t, a.ID, me["id"])
	assert.Equal(t, a.Email, me["email"])
	assert.Equal(t, "user", me["role"])
}

// TestTokensRefused sends tokens that must all be refused with 401 and the API's error body.
func TestTokensRefused(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "tokens")
	key, kid := signingKey(t)

	var own jwt.MapClaims // the user's own token names its session
	_, _, err := jwt.NewParser().ParseUnverified(a.Token, &own)
	require.NoError(t, err)
	claims := func(mut func(jwt.MapClaims)) jwt.MapClaims {
		now := time.Now()
		c := jwt.MapClaims{"iss": "wallet-api", "aud": []string{"wallet-clients"}, "sub": a.ID, "role": "user",
			"sid": own["sid"], "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
		if mut != nil {
			mut(c)
		}
		return c
	}
	signAs := func(keyID string, c jwt.MapClaims, k []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
		if keyID != "" {
			tok.Header["kid"] = keyID
		}
		s, err := tok.SignedString(k)
		require.NoError(t, err)
		return s
	}
	sign := func(c jwt.MapClaims, k []byte) string { return signAs(kid, c, k) }
	// The control: a token we sign ourselves with the deployment's key is accepted, so
	// the refusals below are about the one thing each case changes.
	good := sign(claims(nil), key)
	require.Equal(t, http.StatusOK, do(t, call{method: "GET", path: "/v1/me", token: good}).Status)

	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	parts := strings.Split(a.Token, ".")
	tamperedPayload := sign(claims(func(c jwt.MapClaims) { c["role"] = "admin" }), key)
	tampered := parts[0] + "." + strings.Split(tamperedPayload, ".")[1] + "." + parts[2]

	tests := []struct {
		name   string
		header string
		code   string
	}{
		{"missing", "", "unauthenticated"},
		{"not bearer", "Basic " + a.Token, "unauthenticated"},
		{"malformed", "Bearer not.a.jwt", "unauthenticated"},
		{"expired", "Bearer " + sign(claims(func(c jwt.MapClaims) {
			c["iat"] = time.Now().Add(-time.Hour).Unix()
			c["nbf"] = time.Now().Add(-time.Hour).Unix()
			c["exp"] = time.Now().Add(-10 * time.Minute).Unix()
		}), key), "unauthenticated"},
		{"tampered payload", "Bearer " + tampered, "unauthenticated"},
		{"wrong key", "Bearer " + sign(claims(nil), []byte("another key that is long enough for HS256!!")), "unauthenticated"},
		{"wrong audience", "Bearer " + sign(claims(func(c jwt.MapClaims) { c["aud"] = []string{"someone-else"} }), key), "unauthenticated"},
		{"wrong issuer", "Bearer " + sign(claims(func(c jwt.MapClaims) { c["iss"] = "evil" }), key), "unauthenticated"},
		{"alg none", "Bearer " + none, "unauthenticated"},
		{"no expiry", "Bearer " + sign(claims(func(c jwt.MapClaims) { delete(c, "exp") }), key), "unauthenticated"},
		{"unknown role", "Bearer " + sign(claims(func(c jwt.MapClaims) { c["role"] = "root" }), key), "unauthenticated"},
		{"no kid", "Bearer " + signAs("", claims(nil), key), "unauthenticated"},
		{"unknown kid", "Bearer " + signAs("not-a-key-version", claims(nil), key), "unauthenticated"},
		{"no session", "Bearer " + sign(claims(func(c jwt.MapClaims) { delete(c, "sid") }), key), "unauthenticated"},
		{"an unknown session", "Bearer " + sign(claims(func(c jwt.MapClaims) { c["sid"] = "s_not-a-session" }), key), "unauthenticated"},
		{"another user's session", "Bearer " + sign(claims(func(c jwt.MapClaims) { c["sub"] = "someone-else" }), key), "unauthenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := call{method: "GET", path: "/v1/me"}
			if tt.header != "" {
				c.headers = map[string]string{"Authorization": tt.header}
			}
			r := do(t, c)
			assert.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
			assert.Equal(t, tt.code, r.ErrorCode(), "%s", r.Body)
		})
	}
}
