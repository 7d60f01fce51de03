package user

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// PurposeReset is the purpose of a password-reset code.
const PurposeReset = "reset"

// Passwords replaces a user's password hash.
type Passwords interface {
	// SetPassword replaces the user's password hash, on condition that the user exists.
	SetPassword(ctx context.Context, userID, hash string) error
	// ResetPassword deletes the reset code c and replaces its user's password hash in one
	// transaction, on condition that c is still stored; ErrInvalidCode when it is not.
	ResetPassword(ctx context.Context, c Code, hash string) error
}

// ErrWrongPassword refuses a password change whose current password is wrong.
var ErrWrongPassword = problem.Invalid("invalid_current_password", "the current password is wrong")

// UsePasswords lets the service change and reset passwords.
func (s *Service) UsePasswords(p Passwords) { s.passwords = p }

// PasswordChange is what a signed-in client sends to change its password.
type PasswordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// ChangePassword replaces the caller's password after checking the current one, then
// ends every other session of the user; the caller's own session (sessionID) goes on.
func (s *Service) ChangePassword(ctx context.Context, userID, sessionID string, in PasswordChange) error {
	if s.passwords == nil || s.sessions == nil {
		return errors.New("user: this service cannot change passwords")
	}
	if in.CurrentPassword == "" {
		return problem.Invalid("missing_field", "current_password is required")
	}
	if err := ValidatePassword(in.NewPassword); err != nil {
		return err
	}
	u, err := s.store.ByID(ctx, userID)
	if err != nil {
		return err
	}
	ok, err := s.verify(in.CurrentPassword, u.PasswordHash)
	if err != nil {
		return fmt.Errorf("verify password of %s: %w", u.ID, err)
	}
	if !ok {
		return ErrWrongPassword
	}
	hash, err := auth.HashPassword(in.NewPassword)
	if err != nil {
		return err
	}
	if err := s.passwords.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	_, err = s.endSessions(ctx, u.ID, sessionID)
	return err
}

// EndAllSessions revokes every active session of the user (an admin role revoked: their
// tokens stop at the authorizer) and says how many it ended.
func (s *Service) EndAllSessions(ctx context.Context, userID string) (int, error) {
	if s.sessions == nil {
		return 0, errors.New("user: this service keeps no sessions")
	}
	return s.endSessions(ctx, userID, "")
}

// endSessions revokes every active session of the user but keep ("" keeps none) and
// says how many it ended. Revoking is idempotent, so a failed run is finished by
// running it again.
func (s *Service) endSessions(ctx context.Context, userID, keep string) (int, error) {
	all, err := s.sessions.UserSessions(ctx, userID)
	if errors.Is(err, problem.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	now := s.now()
	ended := 0
	for _, r := range all {
		if r.ID == keep || !r.Active(now) {
			continue
		}
		if err := s.sessions.Revoke(ctx, userID, r.ID); err != nil && !errors.Is(err, problem.ErrNotFound) {
			return ended, fmt.Errorf("end session %s: %w", r.ID, err)
		}
		ended++
	}
	return ended, nil
}

// ResetRequest names the address that forgot its password.
type ResetRequest struct {
	Email string `json:"email"`
}

func resetText(code string) string {
	return fmt.Sprintf("Your wallet password reset code is %s\n\nEnter it with your new password. It expires in %d minutes and works once.\n"+
		"If you did not ask to reset your password, ignore this email: your password is unchanged.\n",
		code, int(CodeTTL/time.Minute))
}

const noAccountResetText = "Someone asked to reset the password of a wallet account at this email address, but it has no account.\n\n" +
	"If it was you, you may have signed up with another address. If not, you can ignore this email.\n"

// noAccountPrefix starts the id a reset request for an address without an account is
// kept under: never a user's id (those are UUIDs), and never found by an email.
const noAccountPrefix = "no-account-"

// noAccount is who a reset request for an address without an account is answered as:
// the address, under an id of its own (a hash of the address, so a second request
// finds the first's record).
func noAccount(email string) User {
	sum := sha256.Sum256([]byte(email))
	return User{ID: noAccountPrefix + hex.EncodeToString(sum[:16]), Email: email}
}

// RequestReset emails a one-time reset code to an account's address, at most once per
// CodeResendInterval. An address without an account gets a notice saying so instead,
// after the same work (the same reads and writes of a code record, kept under an id of
// the address's own and never accepted by ConfirmReset, and one email, at most once per
// CodeResendInterval too), so neither the answer nor its timing tells whether the
// address has an account (docs/SECURITY.md, the enumeration measurement). The caller
// answers the same either way.
func (s *Service) RequestReset(ctx context.Context, in ResetRequest) error {
	if s.codes == nil || s.mail == nil {
		return errors.New("user: this service cannot send codes")
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	u, err := s.store.ByEmail(ctx, email)
	if errors.Is(err, problem.ErrNotFound) {
		return s.sendCode(ctx, noAccount(email), PurposeReset, "Password reset requested for this address",
			func(string) string { return noAccountResetText })
	}
	if err != nil {
		return err
	}
	return s.sendCode(ctx, u, PurposeReset, "Your wallet password reset code", resetText)
}

// ResetConfirm is a reset: the emailed code and the new password.
type ResetConfirm struct {
	Email       string `json:"email"`
	Code        string `json:"code"`
	NewPassword string `json:"new_password"`
}

// ConfirmReset spends one attempt on the address's reset code and, when it matches,
// replaces the password (using up the code) and ends every session of the user. A
// wrong, used or expired code, and an unknown email, all give ErrInvalidCode.
func (s *Service) ConfirmReset(ctx context.Context, in ResetConfirm) error {
	if s.codes == nil || s.passwords == nil || s.sessions == nil {
		return errors.New("user: this service cannot reset passwords")
	}
	if err := ValidatePassword(in.NewPassword); err != nil {
		return err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil || !wellFormedCode(in.Code) {
		return ErrInvalidCode
	}
	u, err := s.store.ByEmail(ctx, email)
	if errors.Is(err, problem.ErrNotFound) {
		return ErrInvalidCode
	}
	if err != nil {
		return err
	}
	c, err := s.spendCode(ctx, u, PurposeReset, in.Code)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(in.NewPassword)
	if err != nil {
		return err
	}
	if err := s.passwords.ResetPassword(ctx, c, hash); err != nil {
		return err
	}
	_, err = s.endSessions(ctx, u.ID, "")
	return err
}

// spendCode spends one attempt on u's code for purpose and returns it when code matches;
// ErrInvalidCode when there is none, it expired, its attempts are gone or code is wrong.
func (s *Service) spendCode(ctx context.Context, u User, purpose, code string) (Code, error) {
	c, err := s.codes.Code(ctx, u.ID, purpose)
	if errors.Is(err, problem.ErrNotFound) {
		return Code{}, ErrInvalidCode
	}
	if err != nil {
		return Code{}, err
	}
	if !c.ExpiresAt.After(s.now()) {
		return Code{}, ErrInvalidCode
	}
	spent, err := s.codes.SpendAttempt(ctx, c)
	if err != nil {
		return Code{}, err
	}
	if !spent || subtle.ConstantTimeCompare([]byte(hashCode(u.ID, purpose, code)), []byte(c.Hash)) != 1 {
		return Code{}, ErrInvalidCode
	}
	return c, nil
}
