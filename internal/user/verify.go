package user

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// Limits of one-time codes.
const (
	CodeDigits         = 6
	CodeTTL            = 15 * time.Minute
	CodeAttemptsMax    = 5
	CodeResendInterval = time.Minute // a new code for an address at most this often
)

// PurposeVerify is the purpose of an email-verification code.
const PurposeVerify = "verify"

// Code is a stored one-time code: only its hash is kept.
type Code struct {
	UserID       string    `dynamodbav:"user_id"`
	Purpose      string    `dynamodbav:"purpose"`
	Hash         string    `dynamodbav:"code_hash"`
	IssuedAt     time.Time `dynamodbav:"issued_at"`
	ExpiresAt    time.Time `dynamodbav:"-"`
	AttemptsLeft int64     `dynamodbav:"attempts_left"`
}

// Codes keeps one code per user and purpose.
type Codes interface {
	// Code reads the user's code for purpose; problem.ErrNotFound when there is none.
	Code(ctx context.Context, userID, purpose string) (Code, error)
	// PutCode stores c, replacing the user's earlier code for its purpose.
	PutCode(ctx context.Context, c Code) error
	// SpendAttempt takes one attempt from c, on condition that it is still stored with
	// attempts left; false when it is not.
	SpendAttempt(ctx context.Context, c Code) (bool, error)
	// MarkVerified deletes c and marks its user's email verified in one transaction, on
	// condition that c is still stored; ErrInvalidCode when it is not.
	MarkVerified(ctx context.Context, c Code) error
}

// Mailer sends one plain-text email.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// Errors of email verification.
var (
	ErrInvalidCode      = problem.Invalid("invalid_code", "the code is wrong, used or expired")
	ErrEmailNotVerified = problem.New(problem.KindForbidden, "email_not_verified", "verify your email address before moving money")
)

// UseMail lets the service send codes and notices (sign-up, verification).
func (s *Service) UseMail(m Mailer, codes Codes) {
	s.mail, s.codes = m, codes
}

// newCode draws a code of CodeDigits decimal digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("draw a code: %w", err)
	}
	return fmt.Sprintf("%0*d", CodeDigits, n.Int64()), nil
}

// hashCode binds a code to its user and purpose.
func hashCode(userID, purpose, code string) string {
	sum := sha256.Sum256([]byte(purpose + "\x00" + userID + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// issueCode makes a code for u: the stored record and the code to send.
func (s *Service) issueCode(u User, purpose string) (Code, string, error) {
	code, err := newCode()
	if err != nil {
		return Code{}, "", err
	}
	now := s.now().UTC()
	return Code{UserID: u.ID, Purpose: purpose, Hash: hashCode(u.ID, purpose, code), IssuedAt: now,
		ExpiresAt: now.Add(CodeTTL), AttemptsLeft: CodeAttemptsMax}, code, nil
}

func verifyText(code string) string {
	return fmt.Sprintf("Your wallet verification code is %s\n\nEnter it to verify your email address. It expires in %d minutes and works once.\n",
		code, int(CodeTTL/time.Minute))
}

const noticeText = "Someone tried to sign up for a wallet with this email address, which already has an account.\n\n" +
	"If it was you, log in, or reset your password. If not, you can ignore this email: no second account was made.\n"

// VerifyInput is what a client sends to verify its email.
type VerifyInput struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

func wellFormedCode(c string) bool {
	if len(c) != CodeDigits {
		return false
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Verify spends one attempt on the address's code and, when it matches, marks the email
// verified. A wrong, used or expired code, and an unknown email, all give ErrInvalidCode.
func (s *Service) Verify(ctx context.Context, in VerifyInput) (User, error) {
	if s.codes == nil {
		return User{}, errors.New("user: this service cannot verify (no code store)")
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil || !wellFormedCode(in.Code) {
		return User{}, ErrInvalidCode
	}
	u, err := s.store.ByEmail(ctx, email)
	if errors.Is(err, problem.ErrNotFound) || (err == nil && u.EmailVerified) {
		return User{}, ErrInvalidCode
	}
	if err != nil {
		return User{}, err
	}
	c, err := s.spendCode(ctx, u, PurposeVerify, in.Code)
	if err != nil {
		return User{}, err
	}
	if err := s.codes.MarkVerified(ctx, c); err != nil {
		return User{}, err
	}
	u.EmailVerified = true
	return u, nil
}

// ResendInput names the address that wants a new code.
type ResendInput struct {
	Email string `json:"email"`
}

// Resend sends a new verification code to an unverified account's address, at most once
// per CodeResendInterval; for any other address it does nothing. The caller answers the
// same either way.
func (s *Service) Resend(ctx context.Context, in ResendInput) error {
	if s.codes == nil || s.mail == nil {
		return errors.New("user: this service cannot send codes")
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	u, err := s.store.ByEmail(ctx, email)
	if errors.Is(err, problem.ErrNotFound) || (err == nil && u.EmailVerified) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.sendCode(ctx, u, PurposeVerify, "Your wallet verification code", verifyText)
}

// sendCode issues and emails a new code of purpose to u, unless one was issued within
// CodeResendInterval (then it does nothing: one new code a minute per address).
func (s *Service) sendCode(ctx context.Context, u User, purpose, subject string, text func(code string) string) error {
	old, err := s.codes.Code(ctx, u.ID, purpose)
	switch {
	case err == nil && s.now().Sub(old.IssuedAt) < CodeResendInterval:
		return nil
	case err != nil && !errors.Is(err, problem.ErrNotFound):
		return err
	}
	c, code, err := s.issueCode(u, purpose)
	if err != nil {
		return err
	}
	if err := s.codes.PutCode(ctx, c); err != nil {
		return err
	}
	return s.mail.Send(ctx, u.Email, subject, text(code))
}
