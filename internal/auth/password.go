// Package auth hashes passwords with argon2id and issues and verifies the API's
// access tokens (HS256 JWTs signed with a per-deployment key).
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP Password Storage Cheat Sheet's second option
// (19 MiB, 2 passes, 1 lane), which keeps a login near 30 ms of one core and inside a
// 256 MB Lambda. They are written into every hash, so raising them later still
// verifies old hashes.
const (
	argonMemoryKiB    = 19 * 1024
	argonTimePasses   = 2
	argonThreads      = 1
	argonSaltBytes    = 16
	argonKeyBytes     = 32
	argonMemoryKiBMax = 256 * 1024 // refuse to verify a stored hash that asks for more
)

// decoyHash is the hash of a random password that was thrown away, made once with the
// parameters above (TestDecoyHashHasTheCurrentParameters keeps it in step with them).
// Login verifies it when the email is unknown, so an unknown email costs the same hash
// as a known one; its result is never used. A constant instead of a hash made at init
// saves every login cold start one hash (about 50 ms; docs/PERFORMANCE.md).
const decoyHash = "$argon2id$v=19$m=19456,t=2,p=1$+g40WuV2yRGgcS+mrTtfMg$vaVfo8wQpH40vPFhjT7QgpLP6CzQXOvRvT0MalA7ZDY"

// DecoyHash returns a hash, with the current parameters, that no known password
// matches: what a login verifies when it found no account.
func DecoyHash() string { return decoyHash }

// ErrMalformedHash means a stored hash could not be parsed.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// HashPassword returns the PHC string form $argon2id$v=19$m=…,t=…,p=…$salt$key.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTimePasses, argonMemoryKiB, argonThreads, argonKeyBytes)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTimePasses, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the stored hash, in constant time
// with respect to the key comparison.
func VerifyPassword(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformedHash
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false, ErrMalformedHash
	}
	if memory == 0 || memory > argonMemoryKiBMax || passes == 0 || threads == 0 {
		return false, ErrMalformedHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformedHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformedHash
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want))) // #nosec G115 -- len is a decoded key length
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
