package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)

	ok, err := VerifyPassword("correct horse battery", h)
	require.NoError(t, err)
	assert.True(t, ok)

	ok, err = VerifyPassword("correct horse batterz", h)
	require.NoError(t, err)
	assert.False(t, ok)

	h2, err := HashPassword("correct horse battery")
	require.NoError(t, err)
	assert.NotEqual(t, h, h2, "every hash has its own salt")
}

func TestVerifyPasswordRefusesMalformedHashes(t *testing.T) {
	tests := map[string]string{
		"empty":            "",
		"bcrypt":           "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":          "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5",
		"wrong version":    "$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5",
		"huge memory":      "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5",
		"zero passes":      "$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHQ$a2V5",
		"bad salt":         "$argon2id$v=19$m=19456,t=2,p=1$!!!$a2V5",
		"empty key":        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$",
		"missing sections": "$argon2id$v=19$m=19456,t=2,p=1",
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := VerifyPassword("whatever password", h)
			assert.ErrorIs(t, err, ErrMalformedHash)
			assert.False(t, ok)
		})
	}
}

var testKey = []byte("0123456789abcdef0123456789abcdef0123456789")

func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

func TestNewTokensChecksItsInputs(t *testing.T) {
	_, err := NewTokens([]byte("short"), "iss", "aud", nil)
	assert.Error(t, err)
	_, err = NewTokens(testKey, "", "aud", nil)
	assert.Error(t, err)
	_, err = NewTokens(testKey, "iss", "", nil)
	assert.Error(t, err)
}

func TestIssueThenVerify(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk, err := NewTokens(testKey, "wallet-api", "wallet-clients", fixedClock(now))
	require.NoError(t, err)
	raw, ttl, err := tk.Issue("user-1", RoleAdmin)
	require.NoError(t, err)
	assert.Equal(t, 900, ttl)

	c, err := tk.Verify(raw)
	require.NoError(t, err)
	assert.Equal(t, "user-1", c.Subject)
	assert.Equal(t, RoleAdmin, c.Role)
	assert.Equal(t, now.Add(15*time.Minute).Unix(), c.ExpiresAt.Unix())
	assert.NotEmpty(t, c.ID)
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk, err := NewTokens(testKey, "wallet-api", "wallet-clients", fixedClock(now))
	require.NoError(t, err)
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "wallet-api", "aud": "wallet-clients", "sub": "u1", "role": "user",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	sign := func(m jwt.SigningMethod, c jwt.MapClaims, key any) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		require.NoError(t, err)
		return s
	}
	with := func(k string, v any) jwt.MapClaims { c := base(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := base(); delete(c, k); return c }

	good := sign(jwt.SigningMethodHS256, base(), testKey)
	_, err = tk.Verify(good)
	require.NoError(t, err, "the control case must pass")

	parts := strings.Split(good, ".")
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"expired beyond the skew", sign(jwt.SigningMethodHS256, with("exp", now.Add(-time.Minute).Unix()), testKey), ErrTokenExpired},
		{"wrong key", sign(jwt.SigningMethodHS256, base(), []byte("another-key-another-key-another-key!")), ErrTokenInvalid},
		{"wrong audience", sign(jwt.SigningMethodHS256, with("aud", "other"), testKey), ErrTokenInvalid},
		{"wrong issuer", sign(jwt.SigningMethodHS256, with("iss", "other"), testKey), ErrTokenInvalid},
		{"no expiry", sign(jwt.SigningMethodHS256, without("exp"), testKey), ErrTokenInvalid},
		{"no subject", sign(jwt.SigningMethodHS256, without("sub"), testKey), ErrTokenInvalid},
		{"unknown role", sign(jwt.SigningMethodHS256, with("role", "root"), testKey), ErrTokenInvalid},
		{"issued in the future", sign(jwt.SigningMethodHS256, with("iat", now.Add(time.Hour).Unix()), testKey), ErrTokenInvalid},
		{"HS512 is not accepted", sign(jwt.SigningMethodHS512, base(), testKey), ErrTokenInvalid},
		{"alg none", sign(jwt.SigningMethodNone, base(), jwt.UnsafeAllowNoneSignatureType), ErrTokenInvalid},
		{"tampered payload", parts[0] + "." + strings.Split(sign(jwt.SigningMethodHS256, with("role", "admin"), testKey), ".")[1] + "." + parts[2], ErrTokenInvalid},
		{"garbage", "not-a-token", ErrTokenInvalid},
		{"empty", "", ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tk.Verify(tt.raw)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, c)
		})
	}
}
