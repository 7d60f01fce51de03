package admin

import (
	"context"
	"errors"
	"time"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// WalletReader lists a user's wallets.
type WalletReader interface {
	WalletsOf(ctx context.Context, ownerID string) ([]ledger.Wallet, error)
}

// SessionLister lists a user's active sessions (user.Service).
type SessionLister interface {
	ListSessions(ctx context.Context, userID, currentID string) (user.SessionList, error)
}

var _ SessionLister = (*user.Service)(nil)

// Lookup answers an admin's look-up of an account by email.
type Lookup struct {
	Accounts Accounts
	Wallets  WalletReader
	Sessions SessionLister
	Trail    audit.Appender
	Now      func() time.Time // time.Now when nil
}

// Account is the answer of GET /v1/admin/users: the user (never its password hash),
// their wallets and their active sessions (never a refresh token or its hash).
type Account struct {
	User     user.User            `json:"user"`
	Wallets  []wallet.View        `json:"wallets"`
	Sessions []user.SessionRecord `json:"sessions"`
}

// lookupState is what a look-up's audit record keeps: the address asked for and, after,
// what the answer showed.
type lookupState struct {
	Email    string `json:"email"`
	Found    bool   `json:"found"`
	Wallets  int    `json:"wallets"`
	Sessions int    `json:"sessions"`
}

// ByEmail finds the account of an address for an admin (403 for anyone else, before
// anything is read). Every look-up is recorded in the audit trail before it is answered,
// that of an unknown address too (target_type email), which then answers
// ErrUserNotFound.
func (l *Lookup) ByEmail(ctx context.Context, c op.Caller, rawEmail string) (Account, error) {
	if !c.IsAdmin() {
		return Account{}, problem.ErrForbidden
	}
	email, err := user.NormalizeEmail(rawEmail)
	if err != nil {
		return Account{}, err
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	u, err := l.Accounts.ByEmail(ctx, email)
	found := err == nil
	if err != nil && !errors.Is(err, problem.ErrNotFound) {
		return Account{}, err
	}
	var out Account
	asked, shown := lookupState{Email: email}, lookupState{Email: email}
	targetType, targetID := audit.TargetEmail, email
	if found {
		if out, err = l.account(ctx, u); err != nil {
			return Account{}, err
		}
		shown.Found, shown.Wallets, shown.Sessions = true, len(out.Wallets), len(out.Sessions)
		targetType, targetID = audit.TargetUser, u.ID
	}
	rec, err := audit.New(c, audit.ActionLookup, targetType, targetID, "", asked, shown, now())
	if err != nil {
		return Account{}, err
	}
	if err := l.Trail.Append(ctx, rec); err != nil {
		return Account{}, err
	}
	if !found {
		return Account{}, ErrUserNotFound
	}
	return out, nil
}

// account reads what a look-up shows of u.
func (l *Lookup) account(ctx context.Context, u user.User) (Account, error) {
	ws, err := l.Wallets.WalletsOf(ctx, u.ID)
	if err != nil {
		return Account{}, err
	}
	sessions, err := l.Sessions.ListSessions(ctx, u.ID, "")
	if err != nil {
		return Account{}, err
	}
	out := Account{User: u, Wallets: make([]wallet.View, 0, len(ws)), Sessions: sessions.Items}
	for _, w := range ws {
		out.Wallets = append(out.Wallets, wallet.ViewOf(w))
	}
	return out, nil
}
