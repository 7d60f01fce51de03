// Package user is the user account domain: sign-up, login and the caller's profile.
package user

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// Input limits.
const (
	PasswordRunesMin = 12
	PasswordRunesMax = 128
	EmailBytesMax    = 254
	NameRunesMax     = 100
)

// User is an account. PasswordHash never leaves the service.
type User struct {
	ID        string    `json:"id" dynamodbav:"id"`
	Email     string    `json:"email" dynamodbav:"email"`
	Name      string    `json:"name" dynamodbav:"name"`
	Role      string    `json:"role" dynamodbav:"role"`
	CreatedAt time.Time `json:"created_at" dynamodbav:"created_at"`
	// EmailVerified says the owner proved the address (Verify); money moves need it.
	EmailVerified bool   `json:"email_verified" dynamodbav:"email_verified"`
	PasswordHash  string `json:"-" dynamodbav:"password_hash"`
}

// Store keeps users; Create fails with ErrEmailTaken when the email is in use, and
// otherwise stores the user's verification code with it.
type Store interface {
	Create(ctx context.Context, u User, verify Code) error
	ByEmail(ctx context.Context, email string) (User, error) // problem.ErrNotFound when absent
	ByID(ctx context.Context, id string) (User, error)       // problem.ErrNotFound when absent
}

// Errors of this package.
var (
	ErrEmailTaken         = problem.New(problem.KindConflict, "email_taken", "an account with this email already exists")
	ErrInvalidCredentials = problem.New(problem.KindUnauthenticated, "invalid_credentials", "email or password is wrong")
)

// NormalizeEmail trims and lower-cases an email and checks its form.
func NormalizeEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if email == "" {
		return "", problem.Invalid("invalid_email", "email is required")
	}
	if len(email) > EmailBytesMax {
		return "", problem.Invalid("invalid_email", "email is too long")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return "", problem.Invalid("invalid_email", "email is not a valid address")
	}
	return email, nil
}

// ValidatePassword checks the length rule (in characters, not bytes).
func ValidatePassword(p string) error {
	if !utf8.ValidString(p) {
		return problem.Invalid("invalid_password", "password must be valid UTF-8")
	}
	n := utf8.RuneCountInString(p)
	if n < PasswordRunesMin || n > PasswordRunesMax {
		return problem.Invalid("invalid_password", "password must be 12 to 128 characters")
	}
	return nil
}

// NormalizeName trims a display name and checks it.
func NormalizeName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", problem.Invalid("invalid_name", "name is required")
	}
	if utf8.RuneCountInString(name) > NameRunesMax || !utf8.ValidString(name) {
		return "", problem.Invalid("invalid_name", "name must be at most 100 characters")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", problem.Invalid("invalid_name", "name must not contain control characters")
		}
	}
	return name, nil
}
