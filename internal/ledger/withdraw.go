package ledger

import (
	"time"

	"github.com/serverless-wallet/wallet/internal/money"
)

// Money leaves the platform the way it came in: a withdrawal posts from the wallet to
// the external funding account credits draw on, so per currency the wallets and the
// external accounts still sum to zero (the funding account's balance is minus the
// money that is in, net of what went out).

// WithdrawalLimits bound withdrawals, in minor units.
type WithdrawalLimits struct {
	PerWithdrawalMaxMinor int64
	DailyMaxMinor         int64
}

// Default withdrawal limits; the deployment may override them.
const (
	DefaultWithdrawalMaxMinor      int64 = 500_000
	DefaultWithdrawalDailyMaxMinor int64 = 2_000_000
)

// WithdrawalInput describes a withdrawal to the external funding account.
type WithdrawalInput struct {
	PostingID   string
	AmountMinor int64
	Description string
	Now         time.Time
}

// Withdraw computes a withdrawal: the change to the wallet (out of its available
// balance, counted against its daily withdrawal limit) and a posting that moves the
// amount to the funding account. It refuses early on the wallet as read, in a fixed
// order (amount, status, the per-withdrawal limit, then Delta.Apply's rules); the store
// re-checks the wallet's rules atomically.
func Withdraw(w Wallet, in WithdrawalInput, limits WithdrawalLimits) (Delta, Posting, error) {
	if err := money.Positive(in.AmountMinor); err != nil {
		return Delta{}, Posting{}, err
	}
	if w.Status != StatusActive {
		return Delta{}, Posting{}, ErrWalletNotActive
	}
	if in.AmountMinor > limits.PerWithdrawalMaxMinor {
		return Delta{}, Posting{}, limitError("a single withdrawal is at most %d minor units", limits.PerWithdrawalMaxMinor)
	}
	day := in.Now.UTC().Format(time.DateOnly)
	d := Delta{WalletID: w.ID, BalanceMinor: -in.AmountMinor, RequireActive: true, Now: in.Now,
		Withdrawal: &DailyCredit{Day: day, LimitMinor: limits.DailyMaxMinor, Continue: w.WithdrawDay == day}}
	return withPosting(w, d, MoveInput{PostingID: in.PostingID, AmountMinor: -in.AmountMinor,
		Counter: ExternalAccount(PurposeFunding, w.Currency), Kind: KindWithdraw, Description: in.Description, Now: in.Now})
}
