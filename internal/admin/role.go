// Package admin is what is done to accounts from above: an operator grants and revokes
// the admin role with a command (cmd/admin), outside the API, and an admin looks an
// account up by email (GET /v1/admin/users). Every sign-up is a user; the admin role
// exists only by grant.
package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/user"
)

// OperatorRunesMax is the longest operator identity a record keeps, in characters (an
// AWS principal ARN is at most 2,048 bytes; a user name far less).
const OperatorRunesMax = 2048

// Errors of role changes.
var (
	ErrUserNotFound = problem.New(problem.KindNotFound, "user_not_found", "no account has this email")
	// ErrNotVerified refuses a grant to an account whose owner never proved the address:
	// the admin role goes only to someone who reads that mailbox.
	ErrNotVerified = problem.Unprocessable("email_not_verified", "the account's email is not verified: its owner must verify it before the grant")
	// ErrNoOperator is a role change with no operator to name in the audit trail.
	ErrNoOperator = problem.Invalid("invalid_operator", "the operator's identity is required")
)

// Accounts finds users by email.
type Accounts interface {
	ByEmail(ctx context.Context, email string) (user.User, error) // problem.ErrNotFound when absent
}

// RoleStore writes a role change with its audit record.
type RoleStore interface {
	// SetRole sets the user's role from from to to and writes rec, in one transaction on
	// condition that the stored role is from; retry.ErrConflict when it is not.
	SetRole(ctx context.Context, userID, from, to string, rec *audit.Record) error
}

// SessionEnder ends every active session of a user (user.Service, the code a password
// change and reset use).
type SessionEnder interface {
	EndAllSessions(ctx context.Context, userID string) (int, error)
}

var _ SessionEnder = (*user.Service)(nil)

// Roles grants and revokes the admin role.
type Roles struct {
	Accounts Accounts
	Store    RoleStore
	Sessions SessionEnder
	Now      func() time.Time // time.Now when nil
}

// RoleChange is one grant or revoke: whose, why, and the operator who made it.
type RoleChange struct {
	Email    string
	Reason   string
	Operator string
}

// Outcome is what a grant or revoke did.
type Outcome struct {
	UserID string
	Email  string
	Role   string // the role the account has now
	// Changed is false when the account had the role already (the change applied twice):
	// nothing was written and no record added.
	Changed bool
	// SessionsEnded counts the sessions a revoke ended.
	SessionsEnded int
}

// String says what happened, for the operator.
func (o Outcome) String() string {
	var b strings.Builder
	if o.Changed {
		fmt.Fprintf(&b, "%s (%s) is now %s", o.Email, o.UserID, o.Role)
	} else {
		fmt.Fprintf(&b, "%s (%s) is %s already: no change, no audit record", o.Email, o.UserID, o.Role)
	}
	if o.Role == auth.RoleUser {
		fmt.Fprintf(&b, "; %d active session(s) ended", o.SessionsEnded)
	}
	return b.String()
}

// Grant makes a verified user an admin, with the grant's audit record in the same
// transaction. The role is in the next access token the user gets (login or refresh);
// an admin already is answered Changed false.
func (r *Roles) Grant(ctx context.Context, in RoleChange) (Outcome, error) {
	return r.change(ctx, in, auth.RoleUser, auth.RoleAdmin, audit.ActionGrantAdmin)
}

// Revoke makes an admin a user, with the revoke's audit record in the same transaction,
// then ends every active session of theirs, so the admin tokens they hold stop at the
// authorizer within its cache TTL and their next login is a user's. A user already is
// answered Changed false, and their sessions are ended all the same: a revoke whose
// session ending failed is finished by running it again.
func (r *Roles) Revoke(ctx context.Context, in RoleChange) (Outcome, error) {
	out, err := r.change(ctx, in, auth.RoleAdmin, auth.RoleUser, audit.ActionRevokeAdmin)
	if err != nil {
		return out, err
	}
	if out.SessionsEnded, err = r.Sessions.EndAllSessions(ctx, out.UserID); err != nil {
		return out, fmt.Errorf("the role is %s, but ending %s's sessions failed (run the revoke again to end them): %w", out.Role, out.Email, err)
	}
	return out, nil
}

func (r *Roles) change(ctx context.Context, in RoleChange, from, to, action string) (Outcome, error) {
	email, err := user.NormalizeEmail(in.Email)
	if err != nil {
		return Outcome{}, err
	}
	if err := audit.ValidateReason(in.Reason); err != nil {
		return Outcome{}, err
	}
	operator := strings.TrimSpace(in.Operator)
	if operator == "" {
		return Outcome{}, ErrNoOperator
	}
	if err := op.ValidateText("operator", operator, OperatorRunesMax); err != nil {
		return Outcome{}, err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	var out Outcome
	// A role that moved between the read and the write (another operator's change) is
	// read again and decided anew.
	err = retry.Conflicts(ctx, func(int) error {
		u, err := r.Accounts.ByEmail(ctx, email)
		if errors.Is(err, problem.ErrNotFound) {
			return ErrUserNotFound
		}
		if err != nil {
			return err
		}
		out = Outcome{UserID: u.ID, Email: u.Email, Role: u.Role}
		switch {
		case u.Role == to:
			return nil
		case u.Role != from:
			return fmt.Errorf("user %s has the unknown role %q", u.ID, u.Role)
		case to == auth.RoleAdmin && !u.EmailVerified:
			return ErrNotVerified
		}
		state := func(role string) any {
			return struct {
				Role string `json:"role"`
			}{role}
		}
		rec, err := audit.ByOperator(operator, action, audit.TargetUser, u.ID, in.Reason, state(from), state(to), now())
		if err != nil {
			return err
		}
		if err := r.Store.SetRole(ctx, u.ID, from, to, rec); err != nil {
			return err
		}
		out.Role, out.Changed = to, true
		return nil
	})
	return out, err
}
