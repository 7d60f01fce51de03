package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// Claims are the access token's claims: the standard ones plus the caller's role and
// whether their email was verified when the token was issued.
type Claims struct {
	Role          string `json:"role"`
	EmailVerified bool   `json:"ev,omitempty"`
	SessionID     string `json:"sid,omitempty"` // the login session the token belongs to
	jwt.RegisteredClaims
}

// Key is one HMAC signing key and its id, the tokens' kid header.
type Key struct {
	ID     string
	Secret []byte
}

// Keyring is the key that signs new tokens and the one before it, which still verifies
// the tokens it signed until they expire. A key older than Previous is retired.
type Keyring struct {
	Current  Key
	Previous *Key
}

// all is the current key, then the previous one if there is one.
func (r Keyring) all() []Key {
	if r.Previous == nil {
		return []Key{r.Current}
	}
	return []Key{r.Current, *r.Previous}
}

func (r Keyring) check() error {
	for _, k := range r.all() {
		if k.ID == "" {
			return errors.New("auth: a signing key has no id")
		}
		if len(k.Secret) < signingKeyBytesMin {
			return fmt.Errorf("auth: signing key %s is %d bytes, want at least %d", k.ID, len(k.Secret), signingKeyBytesMin)
		}
	}
	return nil
}

// byID finds the key a token names.
func (r Keyring) byID(id string) ([]byte, bool) {
	for _, k := range r.all() {
		if k.ID == id {
			return k.Secret, true
		}
	}
	return nil, false
}

// KeySource reads the current keyring (Secrets Manager's AWSCURRENT and AWSPREVIOUS
// versions in a deployment).
type KeySource interface {
	Keyring(ctx context.Context) (Keyring, error)
}

// unknownKidReloadInterval bounds how often a token naming a key this instance has not
// loaded makes it read the keys again (a rotation seen first in a token).
const unknownKidReloadInterval = time.Second

// Tokens issues and verifies access tokens with a keyring it reloads from its source
// every refresh interval, so a rotated key is picked up without a cold start.
type Tokens struct {
	source   KeySource
	refresh  time.Duration
	issuer   string
	audience string
	now      func() time.Time

	mu       sync.Mutex
	ring     Keyring
	loadedAt time.Time
}

// NewTokens loads the keys once and returns a Tokens; now may be nil for time.Now.
func NewTokens(ctx context.Context, source KeySource, refresh time.Duration, issuer, audience string, now func() time.Time) (*Tokens, error) {
	t, err := newTokens(source, refresh, issuer, audience, now)
	if err != nil {
		return nil, err
	}
	if err := t.load(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// NewTokensLoading is NewTokens that reads the keys in the background, for a function
// that signs tokens after work of its own (login's password hash): its cold start does
// not wait for the keys, and their read runs while that work does. The first Issue or
// Verify waits for the read; if it failed, that call reads them itself, and refuses
// (ErrNoKeys) when it cannot.
func NewTokensLoading(source KeySource, refresh time.Duration, issuer, audience string, now func() time.Time) (*Tokens, error) {
	t, err := newTokens(source, refresh, issuer, audience, now)
	if err != nil {
		return nil, err
	}
	t.mu.Lock() // held until the first read ends: keys waits for it
	go func() {
		defer t.mu.Unlock()
		_ = t.load(context.Background()) // a failure is retried by the first keys call
	}()
	return t, nil
}

func newTokens(source KeySource, refresh time.Duration, issuer, audience string, now func() time.Time) (*Tokens, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("auth: issuer and audience are required")
	}
	if refresh <= 0 {
		return nil, errors.New("auth: the key refresh interval must be positive")
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{source: source, refresh: refresh, issuer: issuer, audience: audience, now: now}, nil
}

// ErrNoKeys is why a Tokens whose keys were never read signs and verifies nothing.
var ErrNoKeys = errors.New("auth: the signing keys could not be read")

func (t *Tokens) load(ctx context.Context) error {
	ring, err := t.source.Keyring(ctx)
	if err != nil {
		return fmt.Errorf("auth: load signing keys: %w", err)
	}
	if err := ring.check(); err != nil {
		return err
	}
	t.ring, t.loadedAt = ring, t.now()
	return nil
}

// keysWanted says why the keys are read: a kid the ring does not hold may reload them
// sooner than the refresh interval (bounded by unknownKidReloadInterval).
type keysWanted int

const (
	forUse keysWanted = iota
	forUnknownKid
)

// keys returns the keyring, reloading it when it is older than the refresh interval, or
// older than unknownKidReloadInterval when the caller met a kid it does not hold. A
// failed reload keeps the keys it had; with none ever read it is ErrNoKeys.
func (t *Tokens) keys(ctx context.Context, why keysWanted) (Keyring, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	age := t.now().Sub(t.loadedAt)
	if age >= t.refresh || (why == forUnknownKid && age >= unknownKidReloadInterval) {
		_ = t.load(ctx) // on failure the previous keys stay in use until the next try
	}
	if t.ring.Current.ID == "" {
		return Keyring{}, ErrNoKeys
	}
	return t.ring, nil
}

// Issue signs an access token for a user with the current key; it returns the token
// and its lifetime in seconds.
func (t *Tokens) Issue(ctx context.Context, userID, role string, emailVerified bool, sessionID string) (string, int, error) {
	ring, err := t.keys(ctx, forUse)
	if err != nil {
		return "", 0, err
	}
	key := ring.Current
	now := t.now()
	claims := Claims{
		Role:          role,
		EmailVerified: emailVerified,
		SessionID:     sessionID,
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
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	token.Header["kid"] = key.ID
	signed, err := token.SignedString(key.Secret)
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

// ErrUnknownKey is why a token whose kid names no current or previous key is refused.
var ErrUnknownKey = errors.New("the token's key is unknown or retired")

// Verify checks the key id (the current or the previous key), signature, algorithm
// (HS256 only, so "none" and RS/ES confusion are refused), issuer, audience, expiry and
// not-before, and returns the claims.
func (t *Tokens) Verify(ctx context.Context, raw string) (*Claims, error) {
	claims := &Claims{}
	keyOf := func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			return nil, ErrUnknownKey
		}
		for _, why := range []keysWanted{forUse, forUnknownKid} {
			ring, err := t.keys(ctx, why)
			if err != nil {
				return nil, err
			}
			if secret, ok := ring.byID(kid); ok {
				return secret, nil
			}
		}
		return nil, ErrUnknownKey
	}
	_, err := jwt.ParseWithClaims(raw, claims, keyOf,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkewSeconds*time.Second),
		jwt.WithTimeFunc(t.now),
	)
	switch {
	case errors.Is(err, ErrNoKeys):
		return nil, ErrNoKeys // not the token's fault
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
