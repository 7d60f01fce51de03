// Package ledger holds the money rules: wallets, holds and double-entry postings. Its
// functions are pure: they take a wallet's state and return the next state and the
// posting to write, or a refusal that changes nothing. The DynamoDB store persists the
// result conditionally on the state it was computed from, so the rules here are the
// only place balances are decided.
package ledger

import (
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
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
	KindCapture  = "capture"
	KindReward   = "reward"
)

// Wallet is a wallet's state. Balance is posted money; Held is reserved by open holds;
// Version increases with every change and guards the conditional write.
type Wallet struct {
	ID                  string
	OwnerID             string
	Currency            string
	BalanceMinor        int64
	HeldMinor           int64
	Status              Status
	Version             int64
	EntrySeq            int64 // number of entries posted to the wallet; the newest has this seq
	CreditDay           string
	CreditDayTotalMinor int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// AvailableMinor is what can be spent: balance minus holds.
func (w Wallet) AvailableMinor() int64 { return w.BalanceMinor - w.HeldMinor }

// Entry is one immutable line of a posting on one account.
type Entry struct {
	ID                string
	PostingID         string
	Account           string // a wallet id, or an external account id (see ExternalAccount)
	Owner             string // the wallet's owner; empty on external accounts
	Currency          string
	AmountMinor       int64 // signed: positive adds to the account
	BalanceAfterMinor int64 // for wallets; external accounts do not track it per entry
	Seq               int64 // the wallet's entry sequence number; 0 on external accounts
	Kind              string
	Description       string
	CreatedAt         time.Time
}

// Posting is a set of entries in one currency that sums to zero.
type Posting struct {
	ID        string
	Currency  string
	Kind      string
	Entries   []Entry
	CreatedAt time.Time
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
	ErrSameWallet        = problem.Invalid("same_wallet", "source and destination must differ")
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

// CreditInput describes a top-up from the external funding account.
type CreditInput struct {
	PostingID   string
	AmountMinor int64
	Description string
	Now         time.Time
}

// Credit computes a top-up: the wallet's next state and a posting that moves the
// amount from the funding account into the wallet.
func Credit(w Wallet, in CreditInput, limits CreditLimits) (Wallet, Posting, error) {
	if err := money.Positive(in.AmountMinor); err != nil {
		return w, Posting{}, err
	}
	if w.Status != StatusActive {
		return w, Posting{}, ErrWalletNotActive
	}
	if in.AmountMinor > limits.PerCreditMaxMinor {
		return w, Posting{}, limitError("a single credit is at most %d minor units", limits.PerCreditMaxMinor)
	}
	day := in.Now.UTC().Format(time.DateOnly)
	dayTotal := in.AmountMinor
	if w.CreditDay == day {
		dayTotal += w.CreditDayTotalMinor // both ≤ limits, no overflow
	}
	if dayTotal > limits.DailyMaxMinor {
		return w, Posting{}, limitError("credits to one wallet are at most %d minor units per UTC day", limits.DailyMaxMinor)
	}
	next, p, err := move(w, MoveInput{PostingID: in.PostingID, AmountMinor: in.AmountMinor, Counter: ExternalAccount(PurposeFunding, w.Currency),
		Kind: KindCredit, Description: in.Description, Now: in.Now})
	if err != nil {
		return w, Posting{}, err
	}
	next.CreditDay, next.CreditDayTotalMinor = day, dayTotal
	return next, p, nil
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
// are for admins; closing is for the owner and needs an empty wallet; CLOSED is final.
func ChangeStatus(w Wallet, to Status, byAdmin, byOwner bool, now time.Time) (Wallet, error) {
	if w.Status == StatusClosed {
		return w, ErrWalletClosed
	}
	switch to {
	case StatusFrozen, StatusActive:
		if !byAdmin {
			return w, problem.ErrForbidden
		}
	case StatusClosed:
		if !byOwner {
			return w, problem.ErrForbidden
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

// TransferInput describes an immediate move between two wallets.
type TransferInput struct {
	PostingID   string
	AmountMinor int64
	Currency    string
	Description string
	Now         time.Time
}

// Transfer computes an immediate transfer: both wallets' next states and the posting.
func Transfer(src, dst Wallet, in TransferInput) (Wallet, Wallet, Posting, error) {
	if err := money.Positive(in.AmountMinor); err != nil {
		return src, dst, Posting{}, err
	}
	if src.ID == dst.ID {
		return src, dst, Posting{}, ErrSameWallet
	}
	if src.Status != StatusActive || dst.Status != StatusActive {
		return src, dst, Posting{}, ErrWalletNotActive
	}
	if src.Currency != in.Currency || dst.Currency != in.Currency {
		return src, dst, Posting{}, ErrCurrencyMismatch
	}
	if src.AvailableMinor() < in.AmountMinor {
		return src, dst, Posting{}, ErrInsufficientFunds
	}
	dstBalance, ok := money.AddChecked(dst.BalanceMinor, in.AmountMinor)
	if !ok {
		return src, dst, Posting{}, limitError("the destination balance would overflow", 0)
	}
	ns, nd := src, dst
	ns.BalanceMinor -= in.AmountMinor
	nd.BalanceMinor = dstBalance
	for _, w := range []*Wallet{&ns, &nd} {
		w.Version++
		w.EntrySeq++
		w.UpdatedAt = in.Now
	}
	p := Posting{ID: in.PostingID, Currency: in.Currency, Kind: KindTransfer, CreatedAt: in.Now, Entries: []Entry{
		{ID: in.PostingID + ":0", PostingID: in.PostingID, Account: src.ID, Owner: src.OwnerID, Currency: in.Currency, AmountMinor: -in.AmountMinor,
			BalanceAfterMinor: ns.BalanceMinor, Seq: ns.EntrySeq, Kind: KindTransfer, Description: in.Description, CreatedAt: in.Now},
		{ID: in.PostingID + ":1", PostingID: in.PostingID, Account: dst.ID, Owner: dst.OwnerID, Currency: in.Currency, AmountMinor: in.AmountMinor,
			BalanceAfterMinor: nd.BalanceMinor, Seq: nd.EntrySeq, Kind: KindTransfer, Description: in.Description, CreatedAt: in.Now},
	}}
	return ns, nd, p, p.Validate()
}

// Hold reserves an amount on a wallet: available drops, balance stays.
func Hold(w Wallet, amountMinor int64, now time.Time) (Wallet, error) {
	if err := money.Positive(amountMinor); err != nil {
		return w, err
	}
	if w.Status != StatusActive {
		return w, ErrWalletNotActive
	}
	if w.AvailableMinor() < amountMinor {
		return w, ErrInsufficientFunds
	}
	next := w
	next.HeldMinor += amountMinor
	next.Version++
	next.UpdatedAt = now
	return next, nil
}

// Release gives back a held amount. It works on a frozen wallet too, so a hold can
// always be unwound.
func Release(w Wallet, amountMinor int64, now time.Time) (Wallet, error) {
	if amountMinor <= 0 || amountMinor > w.HeldMinor {
		return w, fmt.Errorf("release %d from wallet %s holding %d", amountMinor, w.ID, w.HeldMinor)
	}
	next := w
	next.HeldMinor -= amountMinor
	next.Version++
	next.UpdatedAt = now
	return next, nil
}

// PurposeTransit is the internal account that holds money between a saga's steps:
// a transfer credits the destination from transit, then captures the source's hold
// into transit, so each step is one balanced posting and transit nets to zero.
const PurposeTransit = "transit"

// MoveInput describes a posting between one wallet and a non-wallet account.
type MoveInput struct {
	PostingID   string
	AmountMinor int64 // positive: into the wallet; negative: out of it
	Counter     string
	Kind        string
	Description string
	Now         time.Time
}

// Receive credits a wallet from an internal or external account; the wallet must be active.
func Receive(w Wallet, in MoveInput) (Wallet, Posting, error) {
	if err := money.Positive(in.AmountMinor); err != nil {
		return w, Posting{}, err
	}
	if w.Status != StatusActive {
		return w, Posting{}, ErrWalletNotActive
	}
	return move(w, in)
}

// Reverse takes back money a saga step put into a wallet. It ignores the wallet's
// status (a compensation must run on a frozen wallet) but never spends held or
// missing funds: then it refuses, and the transfer goes to manual review.
func Reverse(w Wallet, in MoveInput) (Wallet, Posting, error) {
	if err := money.Positive(in.AmountMinor); err != nil {
		return w, Posting{}, err
	}
	if w.AvailableMinor() < in.AmountMinor {
		return w, Posting{}, ErrInsufficientFunds
	}
	in.AmountMinor = -in.AmountMinor
	return move(w, in)
}

// CaptureHold settles a hold: the captured part leaves the wallet's balance, and the
// whole hold leaves held (the uncaptured rest becomes available again). A hold is
// capturable whatever the wallet's status: the money was reserved for this.
func CaptureHold(w Wallet, captureMinor, holdMinor int64, in MoveInput) (Wallet, Posting, error) {
	if captureMinor <= 0 || captureMinor > holdMinor || holdMinor > w.HeldMinor {
		return w, Posting{}, fmt.Errorf("capture %d of hold %d on wallet %s holding %d", captureMinor, holdMinor, w.ID, w.HeldMinor)
	}
	next := w
	next.HeldMinor -= holdMinor
	in.AmountMinor = -captureMinor
	return move(next, in)
}

func move(w Wallet, in MoveInput) (Wallet, Posting, error) {
	balance, ok := money.AddChecked(w.BalanceMinor, in.AmountMinor)
	if !ok {
		return w, Posting{}, limitError("the wallet balance would overflow", 0)
	}
	next := w
	next.BalanceMinor = balance
	next.Version++
	next.EntrySeq++
	next.UpdatedAt = in.Now
	p := Posting{ID: in.PostingID, Currency: w.Currency, Kind: in.Kind, CreatedAt: in.Now, Entries: []Entry{
		{ID: in.PostingID + ":0", PostingID: in.PostingID, Account: w.ID, Owner: w.OwnerID, Currency: w.Currency, AmountMinor: in.AmountMinor,
			BalanceAfterMinor: balance, Seq: next.EntrySeq, Kind: in.Kind, Description: in.Description, CreatedAt: in.Now},
		{ID: in.PostingID + ":1", PostingID: in.PostingID, Account: in.Counter, Currency: w.Currency, AmountMinor: -in.AmountMinor,
			Kind: in.Kind, Description: in.Description, CreatedAt: in.Now},
	}}
	return next, p, p.Validate()
}
