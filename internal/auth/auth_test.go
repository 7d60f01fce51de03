package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// A stored key that differs from the derived one in any single byte refuses the right
// password: the whole key is compared, not a part of it.
func TestVerifyPasswordComparesTheWholeKey(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	require.NoError(t, err)
	parts := strings.Split(h, "$")
	require.Len(t, parts, 6)
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	require.NoError(t, err)
	for _, at := range []int{0, len(key) / 2, len(key) - 1} {
		t.Run(fmt.Sprintf("byte %d of %d", at, len(key)), func(t *testing.T) {
			tampered := slices.Clone(key)
			tampered[at] ^= 0x01
			stored := slices.Clone(parts)
			stored[5] = base64.RawStdEncoding.EncodeToString(tampered)
			ok, err := VerifyPassword("correct horse battery", strings.Join(stored, "$"))
			require.NoError(t, err)
			assert.False(t, ok)
		})
	}
}

func TestDecoyHashHasTheCurrentParameters(t *testing.T) {
	fresh, err := HashPassword("any password")
	require.NoError(t, err)
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") } // $argon2id$v=…$m=…,t=…,p=…
	assert.Equal(t, params(fresh), params(DecoyHash()), "make a new decoy with HashPassword when the parameters change")

	ok, err := VerifyPassword("any password", DecoyHash())
	require.NoError(t, err, "the decoy must verify like a stored hash, at the same cost")
	assert.False(t, ok)
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

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef0123456789")
	testRing = Keyring{Current: Key{ID: "k1", Secret: testKey}}
)

// StaticKeys is a KeySource that never changes.
type StaticKeys Keyring

func (s StaticKeys) Keyring(context.Context) (Keyring, error) { return Keyring(s), nil }

func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

func newTestTokens(t *testing.T, now func() time.Time) *Tokens {
	t.Helper()
	tk, err := NewTokens(context.Background(), StaticKeys(testRing), time.Minute, "wallet-api", "wallet-clients", now)
	require.NoError(t, err)
	return tk
}

func TestNewTokensChecksItsInputs(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		ring     Keyring
		refresh  time.Duration
		iss, aud string
	}{
		"short key":          {Keyring{Current: Key{ID: "k", Secret: []byte("short")}}, time.Minute, "iss", "aud"},
		"key without id":     {Keyring{Current: Key{Secret: testKey}}, time.Minute, "iss", "aud"},
		"short previous key": {Keyring{Current: Key{ID: "k2", Secret: testKey}, Previous: &Key{ID: "k1", Secret: []byte("x")}}, time.Minute, "iss", "aud"},
		"no issuer":          {testRing, time.Minute, "", "aud"},
		"no audience":        {testRing, time.Minute, "iss", ""},
		"no refresh":         {testRing, 0, "iss", "aud"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewTokens(ctx, StaticKeys(tt.ring), tt.refresh, tt.iss, tt.aud, nil)
			assert.Error(t, err)
		})
	}
}

func TestIssueThenVerify(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk := newTestTokens(t, fixedClock(now))
	ctx := context.Background()
	raw, ttl, err := tk.Issue(ctx, "user-1", RoleAdmin, true, "s_1")
	require.NoError(t, err)
	assert.Equal(t, 900, ttl)

	c, err := tk.Verify(ctx, raw)
	require.NoError(t, err)
	assert.Equal(t, "user-1", c.Subject)
	assert.Equal(t, RoleAdmin, c.Role)
	assert.True(t, c.EmailVerified, "the token carries the verified flag")
	assert.Equal(t, "s_1", c.SessionID, "and its session")
	unverified, _, err := tk.Issue(ctx, "user-2", RoleUser, false, "s_2")
	require.NoError(t, err)
	c, err = tk.Verify(ctx, unverified)
	require.NoError(t, err)
	assert.False(t, c.EmailVerified)
	assert.Equal(t, now.Add(15*time.Minute).Unix(), c.ExpiresAt.Unix())
	assert.NotEmpty(t, c.ID)

	parsed, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	require.NoError(t, err)
	assert.Equal(t, "k1", parsed.Header["kid"], "tokens name the key that signed them")
}

// rotatingSource is a KeySource whose keys a test rotates.
type rotatingSource struct {
	mu    sync.Mutex
	ring  Keyring
	loads int
}

func (r *rotatingSource) Keyring(context.Context) (Keyring, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loads++
	return r.ring, nil
}

func (r *rotatingSource) rotate(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := r.ring.Current
	r.ring = Keyring{Current: Key{ID: id, Secret: []byte(strings.Repeat(id, 32))}, Previous: &prev}
}

func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return at }
	src := &rotatingSource{ring: testRing}
	login, err := NewTokens(ctx, src, time.Minute, "wallet-api", "wallet-clients", clock)
	require.NoError(t, err)
	authorizer, err := NewTokens(ctx, src, time.Minute, "wallet-api", "wallet-clients", clock)
	require.NoError(t, err)

	old, _, err := login.Issue(ctx, "u1", RoleUser, false, "s_1")
	require.NoError(t, err)
	src.rotate("k2")

	at = at.Add(2 * time.Second)
	_, err = authorizer.Verify(ctx, old)
	require.NoError(t, err, "a token signed with the previous key verifies")

	stale, _, err := login.Issue(ctx, "u1", RoleUser, false, "s_1")
	require.NoError(t, err)
	_, err = authorizer.Verify(ctx, stale)
	require.NoError(t, err, "a login that has not reloaded yet signs with the previous key, which still verifies")

	at = at.Add(time.Minute) // past the refresh interval
	fresh, _, err := login.Issue(ctx, "u1", RoleUser, false, "s_1")
	require.NoError(t, err)
	parsed, _, err := jwt.NewParser().ParseUnverified(fresh, jwt.MapClaims{})
	require.NoError(t, err)
	assert.Equal(t, "k2", parsed.Header["kid"], "after the refresh interval the new key signs")

	src.rotate("k3")
	at = at.Add(2 * time.Second)
	loads := src.loads
	fromK3, _, err := (func() (string, int, error) {
		other, err := NewTokens(ctx, src, time.Minute, "wallet-api", "wallet-clients", clock)
		require.NoError(t, err)
		return other.Issue(ctx, "u1", RoleUser, false, "s_1")
	})()
	require.NoError(t, err)
	_, err = authorizer.Verify(ctx, fromK3)
	require.NoError(t, err, "a kid the verifier has not loaded makes it reload the keys")
	assert.Equal(t, loads+2, src.loads, "one load for the new Tokens, one reload by the verifier")

	_, err = authorizer.Verify(ctx, old)
	assert.ErrorIs(t, err, ErrTokenInvalid, "a key two rotations old is retired")
	assert.ErrorIs(t, err, ErrUnknownKey)
	loads = src.loads
	_, err = authorizer.Verify(ctx, old)
	assert.ErrorIs(t, err, ErrUnknownKey)
	assert.Equal(t, loads, src.loads, "unknown kids reload the keys at most once per interval")
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk := newTestTokens(t, fixedClock(now))
	ctx := context.Background()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "wallet-api", "aud": "wallet-clients", "sub": "u1", "role": "user",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	signAs := func(kid any, m jwt.SigningMethod, c jwt.MapClaims, key any) string {
		tok := jwt.NewWithClaims(m, c)
		if kid != nil {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	sign := func(m jwt.SigningMethod, c jwt.MapClaims, key any) string { return signAs("k1", m, c, key) }
	with := func(k string, v any) jwt.MapClaims { c := base(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := base(); delete(c, k); return c }

	good := sign(jwt.SigningMethodHS256, base(), testKey)
	_, err := tk.Verify(ctx, good)
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
		{"no kid", signAs(nil, jwt.SigningMethodHS256, base(), testKey), ErrUnknownKey},
		{"unknown kid", signAs("k9", jwt.SigningMethodHS256, base(), testKey), ErrUnknownKey},
		{"kid not a string", signAs(7, jwt.SigningMethodHS256, base(), testKey), ErrUnknownKey},
		{"garbage", "not-a-token", ErrTokenInvalid},
		{"empty", "", ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tk.Verify(ctx, tt.raw)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, c)
		})
	}
}
