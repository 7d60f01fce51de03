// Package ledger holds the money rules: wallets, holds and double-entry postings. Its
// functions are pure: they take a wallet's state and return the next state and the
// posting to write, or a refusal that changes nothing. The DynamoDB store persists the
// result conditionally on the state it was computed from, so the rules here are the
// only place balances are decided.
package ledger

import (
	"errors"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// Status is a wallet's lifecycle state.
type Status string

// Wallet statuses. CLOSED is final.
const (
	StatusActive Status = "ACTIVE"
	StatusFrozen Status = "FROZEN"
	StatusClosed Status = "CLOSED"
)

// Entry kinds.
const (
	KindCredit   = "credit"
	KindTransfer = "transfer"
	KindReward   = "reward"
	KindWithdraw = "withdrawal"
)

// Wallet is a wallet's state. Balance is posted money; Held is reserved by open holds.
// Money changes add to the stored amounts (see Delta) and never touch Version, which
// guards status changes only.
type Wallet struct {
	ID           string
	OwnerID      string
	Currency     string
	BalanceMinor int64
	HeldMinor    int64
	Status       Status
	Version      int64
	EntryCount   int64 // entries posted to the wallet
	// ReceiveShards is how many receive shards the wallet has (see ReceiveShardOf); 0
	// for an ordinary wallet. Set when the wallet is opened.
	ReceiveShards       int
	CreditDay           string
	CreditDayTotalMinor int64
	// WithdrawDay and WithdrawDayTotalMinor count the withdrawals of one UTC day.
	WithdrawDay           string
	WithdrawDayTotalMinor int64
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// AvailableMinor is what can be spent: balance minus holds.
func (w Wallet) AvailableMinor() int64 { return w.BalanceMinor - w.HeldMinor }

// Entry is one immutable line of a posting on one account. Entries carry no running
// balance: a wallet's statement computes it when read (see wallet.Service.Entries),
// so that concurrent postings to one wallet never have to be serialized.
type Entry struct {
	ID          string
	PostingID   string
	Account     string // a wallet id, or an external account id (see ExternalAccount)
	Owner       string // the wallet's owner; empty on external accounts
	Currency    string
	AmountMinor int64 // signed: positive adds to the account
	Kind        string
	Description string
	CreatedAt   time.Time
}

// Posting is a set of entries in one currency that sums to zero.
type Posting struct {
	ID        string
	Currency  string
	Kind      string
	Entries   []Entry
	CreatedAt time.Time
}

// EntriesOn counts the posting's entries on one account: what a wallet's entry_count
// grows by when the posting is written.
func (p Posting) EntriesOn(account string) int64 {
	var n int64
	for _, e := range p.Entries {
		if e.Account == account {
			n++
		}
	}
	return n
}

// ExternalAccount names the account money enters from or leaves to, per currency and
// purpose. It may go negative: its balance is minus the money it has put in.
func ExternalAccount(purpose, currency string) string { return "external:" + purpose + ":" + currency }

// External account purposes.
const (
	PurposeFunding = "funding"
	PurposeRewards = "rewards"
)

// Refusals. Each changes nothing.
var (
	ErrWalletNotActive   = problem.Unprocessable("wallet_not_active", "the wallet is frozen or closed")
	ErrInsufficientFunds = problem.Unprocessable("insufficient_funds", "the wallet's available balance is too low")
	ErrCurrencyMismatch  = problem.Unprocessable("currency_mismatch", "the amount's currency differs from the wallet's")
	ErrLimitExceeded     = problem.Unprocessable("limit_exceeded", "the amount exceeds a limit")
	ErrWalletNotEmpty    = problem.Unprocessable("wallet_not_empty", "only a wallet with zero balance and no holds can be closed")
	ErrWalletClosed      = problem.Unprocessable("wallet_closed", "a closed wallet cannot change")
	// ErrFourEyes: an admin freezing or unfreezing their own wallet; another admin must.
	ErrFourEyes   = problem.New(problem.KindForbidden, "four_eyes", "an admin cannot change the status of their own wallet: another admin must")
	ErrSameWallet = problem.Invalid("same_wallet", "source and destination must differ")
	// ErrHoldMissing: a release or capture takes back more than the wallet holds. It
	// means a second settlement or a bug, never a client's mistake; nothing is written.
	ErrHoldMissing = errors.New("ledger: the wallet does not hold that amount")
)

// Validate checks the double-entry rule: at least two entries, none zero, all in the
// posting's currency, summing to zero without overflow.
func (p Posting) Validate() error {
	if len(p.Entries) < 2 {
		return fmt.Errorf("posting %s: %d entries, want at least 2", p.ID, len(p.Entries))
	}
	var sum int64
	for _, e := range p.Entries {
		if e.AmountMinor == 0 {
			return fmt.Errorf("posting %s: zero entry on %s", p.ID, e.Account)
		}
		if e.Currency != p.Currency {
			return fmt.Errorf("posting %s: entry in %s, posting in %s", p.ID, e.Currency, p.Currency)
		}
		var ok bool
		if sum, ok = money.AddChecked(sum, e.AmountMinor); !ok {
			return fmt.Errorf("posting %s: sum overflows", p.ID)
		}
	}
	if sum != 0 {
		return fmt.Errorf("posting %s: entries sum to %d, want 0", p.ID, sum)
	}
	return nil
}

// CreditLimits bound top-ups, in minor units.
type CreditLimits struct {
	PerCreditMaxMinor int64
	DailyMaxMinor     int64
}

// Default credit limits; the deployment may override them.
const (
	DefaultCreditMaxMinor      int64 = 1_000_000
	DefaultCreditDailyMaxMinor int64 = 5_000_000
)

// Delta is a change to one wallet's money. The store applies it as one conditional
// update that adds to the stored amounts (it never writes back a value it read), so
// any number of concurrent changes to one wallet each take one write, and the
// conditions (the rules of Apply) are checked by the database on the stored state.
type Delta struct {
	WalletID      string
	BalanceMinor  int64        // added to the balance; negative takes money out
	HeldMinor     int64        // added to held; negative gives a hold back
	RequireActive bool         // refused unless the wallet is ACTIVE
	Credit        *DailyCredit // a top-up, counted against the daily limit
	Withdrawal    *DailyCredit // a withdrawal, counted against its own daily limit
	// Shard, 1 to the wallet's ReceiveShards, puts a credit on that receive shard
	// instead of the wallet item; 0 is the wallet item. Only credits go to a shard.
	Shard int
	Now   time.Time
}

// DailyCredit counts a top-up (or, as Delta.Withdrawal, a withdrawal) against the
// wallet's limit per UTC day.
type DailyCredit struct {
	Day        string // the UTC date of the credit
	LimitMinor int64
	// Continue says the wallet's counter was on Day when read: the store adds to it.
	// Otherwise the store restarts it at this credit. A counter that changed day in
	// between is a conflict: decide again on fresh state.
	Continue bool
}

// AvailableMinor is the change to what can be spent.
func (d Delta) AvailableMinor() int64 { return d.BalanceMinor - d.HeldMinor }

// Apply is the rule of a Delta: it returns w with d applied, or the first rule d
// breaks, checked in a fixed order (so the same state always gives the same refusal):
// status, hold, available funds, overflow, daily credit limit. The store enforces the
// same rules as its write conditions and, when a condition fails, calls Apply on the
// stored state to name the refusal.
func (d Delta) Apply(w Wallet) (Wallet, error) {
	if d.RequireActive && w.Status != StatusActive {
		return w, ErrWalletNotActive
	}
	if d.HeldMinor < 0 && w.HeldMinor < -d.HeldMinor {
		return w, ErrHoldMissing
	}
	if a := d.AvailableMinor(); a < 0 && w.AvailableMinor() < -a {
		return w, ErrInsufficientFunds
	}
	balance, ok := money.AddChecked(w.BalanceMinor, d.BalanceMinor)
	if !ok {
		return w, limitError("the wallet balance would overflow", 0)
	}
	held, ok := money.AddChecked(w.HeldMinor, d.HeldMinor)
	if !ok {
		return w, limitError("the wallet's holds would overflow", 0)
	}
	next := w
	if c := d.Credit; c != nil {
		day, total, err := c.count(w.CreditDay, w.CreditDayTotalMinor, d.BalanceMinor, "credits to")
		if err != nil {
			return w, err
		}
		next.CreditDay, next.CreditDayTotalMinor = day, total
	}
	if c := d.Withdrawal; c != nil {
		day, total, err := c.count(w.WithdrawDay, w.WithdrawDayTotalMinor, -d.BalanceMinor, "withdrawals from")
		if err != nil {
			return w, err
		}
		next.WithdrawDay, next.WithdrawDayTotalMinor = day, total
	}
	next.BalanceMinor, next.HeldMinor = balance, held
	if !d.Now.IsZero() {
		next.UpdatedAt = d.Now
	}
	return next, nil
}

// count adds amountMinor to a daily counter read as (day, total), by c's rule.
func (c DailyCredit) count(day string, totalMinor, amountMinor int64, what string) (string, int64, error) {
	if (day == c.Day) != c.Continue {
		return "", 0, retry.ErrConflict
	}
	total := amountMinor
	if c.Continue {
		total += totalMinor // both ≤ the limit: no overflow
	}
	if total > c.LimitMinor {
		return "", 0, limitError(what+" one wallet are at most %d minor units per UTC day", c.LimitMinor)
	}
	return c.Day, total, nil
}

// CreditInput describes a top-up from the external funding account.
type CreditInput struct {
	PostingID   string
	AmountMinor int64
	Description string
	Now         time.Time
}

// Credit computes a top-up: the change to the wallet and a posting that moves the
// amount from the funding account into it. It refuses early on the wallet as read;
// the store re-checks the same rules atomically.
func Credit(w Wallet, in CreditInput, limits CreditLimits) (Delta, Posting, error) {
	if err := money.Positive(in.AmountMinor); err != nil {
		return Delta{}, Posting{}, err
	}
	if w.Status != StatusActive {
		return Delta{}, Posting{}, ErrWalletNotActive
	}
	if in.AmountMinor > limits.PerCreditMaxMinor {
		return Delta{}, Posting{}, limitError("a single credit is at most %d minor units", limits.PerCreditMaxMinor)
	}
	day := in.Now.UTC().Format(time.DateOnly)
	d := Delta{WalletID: w.ID, BalanceMinor: in.AmountMinor, RequireActive: true, Now: in.Now,
		Credit: &DailyCredit{Day: day, LimitMinor: limits.DailyMaxMinor, Continue: w.CreditDay == day}}
	return withPosting(w, d, MoveInput{PostingID: in.PostingID, AmountMinor: in.AmountMinor,
		Counter: ExternalAccount(PurposeFunding, w.Currency), Kind: KindCredit, Description: in.Description, Now: in.Now})
}

func limitError(format string, limit int64) error {
	e := *ErrLimitExceeded
	if limit > 0 {
		e.Message = fmt.Sprintf(format, limit)
	} else {
		e.Message = format
	}
	return &e
}

// ChangeStatus applies a status change requested by a caller. Freezing and unfreezing
// are for admins, and never of their own wallet (four eyes: an admin frozen by another
// cannot unfreeze themselves); closing is for the owner and needs an ACTIVE, empty
// wallet; CLOSED is final.
// The store writes it conditional on Version (and, for a close, on a zero balance and
// no holds, since money changes do not move Version).
func ChangeStatus(w Wallet, to Status, byAdmin, byOwner bool, now time.Time) (Wallet, error) {
	if w.Status == StatusClosed {
		return w, ErrWalletClosed
	}
	switch to {
	case StatusFrozen, StatusActive:
		if !byAdmin {
			return w, problem.ErrForbidden
		}
		if byOwner {
			return w, ErrFourEyes
		}
	case StatusClosed:
		if !byOwner {
			return w, problem.ErrForbidden
		}
		if w.Status != StatusActive { // a frozen wallet stays as the admin left it
			return w, ErrWalletNotActive
		}
		if w.BalanceMinor != 0 || w.HeldMinor != 0 {
			return w, ErrWalletNotEmpty
		}
	default:
		return w, problem.Invalid("invalid_status", "status must be ACTIVE, FROZEN or CLOSED")
	}
	if w.Status == to {
		return w, nil
	}
	next := w
	next.Status = to
	next.Version++
	next.UpdatedAt = now
	return next, nil
}
