package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Token settings.
const (
	AccessTokenTTLSeconds = 15 * 60
	signingKeyBytesMin    = 32
	clockSkewSeconds      = 30
)

// Claims are the access token's claims: the standard ones plus the caller's role.
type Claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies access tokens with one HMAC key.
type Tokens struct {
	key      []byte
	issuer   string
	audience string
	now      func() time.Time
}

// NewTokens checks the key and returns a Tokens; now may be nil for time.Now.
func NewTokens(key []byte, issuer, audience string, now func() time.Time) (*Tokens, error) {
	if len(key) < signingKeyBytesMin {
		return nil, fmt.Errorf("auth: signing key is %d bytes, want at least %d", len(key), signingKeyBytesMin)
	}
	if issuer == "" || audience == "" {
		return nil, errors.New("auth: issuer and audience are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: key, issuer: issuer, audience: audience, now: now}, nil
}

// Issue signs an access token for a user; it returns the token and its lifetime in seconds.
func (t *Tokens) Issue(userID, role string) (string, int, error) {
	now := t.now()
	claims := Claims{
		Role: role,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(AccessTokenTTLSeconds * time.Second)),
			ID:        uuid.NewString(),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
	if err != nil {
		return "", 0, fmt.Errorf("auth: sign: %w", err)
	}
	return signed, AccessTokenTTLSeconds, nil
}

// Why a token was refused; the authorizer passes the reason on for logs.
var (
	ErrTokenExpired = errors.New("token_expired")
	ErrTokenInvalid = errors.New("token_invalid")
)

// Verify checks signature, algorithm (HS256 only, so "none" and RS/ES confusion are
// refused), issuer, audience, expiry and not-before, and returns the claims.
func (t *Tokens) Verify(raw string) (*Claims, error) {
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkewSeconds*time.Second),
		jwt.WithTimeFunc(t.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, ErrTokenExpired
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	case claims.Subject == "" || (claims.Role != RoleUser && claims.Role != RoleAdmin):
		return nil, fmt.Errorf("%w: missing subject or unknown role", ErrTokenInvalid)
	}
	return claims, nil
}

// Roles.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)
