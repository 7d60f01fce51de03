// Package wallet is the wallet use cases: open wallets, read them, change their status,
// top them up and read their statements. It authorizes the caller, applies the ledger
// rules, guards writes with idempotency and commits through a Store.
package wallet

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// Limits of this package.
const (
	WalletsPerOwnerMax     = 10
	EntriesPageSizeMax     = 200
	EntriesPageSizeDefault = 50
	// statementReadsMax bounds the tries to read a statement's first page and its
	// wallet at one moment (see Entries) while postings keep arriving.
	statementReadsMax = 8
)

// Errors of this package.
var (
	ErrWalletExists = problem.New(problem.KindConflict, "wallet_exists", "you already have a wallet in this currency")
	ErrWalletLimit  = problem.Unprocessable("wallet_limit_reached", fmt.Sprintf("a user can have at most %d wallets", WalletsPerOwnerMax))
)

// Change is written atomically: money deltas on wallets (each applied by the store
// under its rules, see ledger.Delta), at most one posting, and the completion of the
// idempotency claim that guards it.
type Change struct {
	Deltas     []ledger.Delta
	Posting    *ledger.Posting
	Completion *idempotency.Completion
}

// Store persists wallets and postings.
type Store interface {
	CreateWallet(ctx context.Context, w ledger.Wallet) error
	Wallet(ctx context.Context, id string) (ledger.Wallet, error)
	WalletsOf(ctx context.Context, ownerID string) ([]ledger.Wallet, error)
	// Commit writes a Change or nothing; a refused delta answers with the rule it broke
	// (as ledger.Delta.Apply names it on the stored wallet).
	Commit(ctx context.Context, c Change) error
	// SetStatus writes after's status conditional on before's version (and, for a
	// close, on a zero balance and no holds); retry.ErrConflict when the wallet moved on.
	// An admin's change carries its audit record (nil otherwise), written in the same
	// transaction.
	SetStatus(ctx context.Context, before, after ledger.Wallet, rec *audit.Record) error
	// Entries returns up to limit of w's entries older than the position after ("" for
	// the newest), newest first, and the position to continue from ("" at the end);
	// entries on w's receive shards included.
	Entries(ctx context.Context, w ledger.Wallet, limit int, after string) ([]ledger.Entry, string, error)
	Snapshot(ctx context.Context) (ledger.Snapshot, error)
}

// Service implements the wallet use cases.
type Service struct {
	store       Store
	idem        idempotency.Store
	limits      ledger.CreditLimits
	withdrawals ledger.WithdrawalLimits
	now         func() time.Time
}

// NewService builds a Service.
func NewService(store Store, idem idempotency.Store, limits ledger.CreditLimits, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, idem: idem, limits: limits, now: now,
		withdrawals: ledger.WithdrawalLimits{PerWithdrawalMaxMinor: ledger.DefaultWithdrawalMaxMinor, DailyMaxMinor: ledger.DefaultWithdrawalDailyMaxMinor}}
}

// WithWithdrawalLimits sets the withdrawal limits (the defaults until then) and returns s.
func (s *Service) WithWithdrawalLimits(l ledger.WithdrawalLimits) *Service {
	s.withdrawals = l
	return s
}

// View is a wallet as the API shows it.
type View struct {
	ID        string `json:"id"`
	OwnerID   string `json:"owner_id"`
	Currency  string `json:"currency"`
	Balance   int64  `json:"balance"`
	Held      int64  `json:"held"`
	Available int64  `json:"available"`
	Status    string `json:"status"`
	// ReceiveShards: balance and available count the shards in (see ledger.WithShards).
	ReceiveShards int       `json:"receive_shards,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// ViewOf renders a wallet.
func ViewOf(w ledger.Wallet) View {
	return View{ID: w.ID, OwnerID: w.OwnerID, Currency: w.Currency, Balance: w.BalanceMinor, Held: w.HeldMinor,
		Available: w.AvailableMinor(), Status: string(w.Status), ReceiveShards: w.ReceiveShards, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// CreateInput is the body of POST /v1/wallets.
type CreateInput struct {
	Currency string `json:"currency"`
	// ReceiveShards opens the wallet with that many receive shards (ledger.ReceiveShardOf):
	// for a wallet paid by many at once. 0 is an ordinary wallet.
	ReceiveShards int `json:"receive_shards,omitempty"`
}

// Create opens a wallet for the caller.
func (s *Service) Create(ctx context.Context, c op.Caller, in CreateInput) (View, error) {
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return View{}, err
	}
	if err := ledger.ValidReceiveShards(in.ReceiveShards); err != nil {
		return View{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	w := ledger.Wallet{ID: uuid.NewString(), OwnerID: c.UserID, Currency: cur.Code, Status: ledger.StatusActive,
		Version: 1, ReceiveShards: in.ReceiveShards, CreatedAt: now, UpdatedAt: now}
	// A creation that lost a race (another of the owner's wallets counted at the same
	// time) wrote nothing: it is tried again, and then finds the limit or the claim.
	if err := retry.Conflicts(ctx, func(int) error { return s.store.CreateWallet(ctx, w) }); err != nil {
		return View{}, err
	}
	return ViewOf(w), nil
}

// List returns the caller's wallets.
func (s *Service) List(ctx context.Context, c op.Caller) ([]View, error) {
	ws, err := s.store.WalletsOf(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(ws))
	for _, w := range ws {
		out = append(out, ViewOf(w))
	}
	return out, nil
}

// visible reads a wallet the caller may see: its own, or any for an admin. Another
// user's wallet is reported as not found, so ids leak nothing.
func (s *Service) visible(ctx context.Context, c op.Caller, id string) (ledger.Wallet, error) {
	if !op.IsID(id) {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	w, err := s.store.Wallet(ctx, id)
	if err != nil {
		return ledger.Wallet{}, err
	}
	if w.OwnerID != c.UserID && !c.IsAdmin() {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return w, nil
}

// owned reads a wallet only its owner may move money on: admins read and freeze
// wallets, they never credit another user's (an adjustment would be its own, audited
// route). Anyone else's wallet is not found.
func (s *Service) owned(ctx context.Context, c op.Caller, id string) (ledger.Wallet, error) {
	w, err := s.visible(ctx, c, id)
	if err == nil && w.OwnerID != c.UserID {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return w, err
}

// Get returns one wallet.
func (s *Service) Get(ctx context.Context, c op.Caller, id string) (View, error) {
	w, err := s.visible(ctx, c, id)
	if err != nil {
		return View{}, err
	}
	return ViewOf(w), nil
}

// PatchInput is the body of PATCH /v1/wallets/{id}.
type PatchInput struct {
	Status string `json:"status"`
	// Reason is an admin's reason for a freeze or unfreeze, kept in the audit trail.
	Reason string `json:"reason,omitempty"`
}

// ErrReasonRequired is a freeze or unfreeze without the reason the audit trail keeps.
var ErrReasonRequired = problem.Invalid("reason_required", "a freeze or unfreeze needs a reason: it is kept in the audit trail")

// ChangeStatus freezes, unfreezes or closes a wallet. A freeze or unfreeze (an admin's)
// needs a reason.
func (s *Service) ChangeStatus(ctx context.Context, c op.Caller, id string, in PatchInput) (View, error) {
	adminAction := ledger.Status(in.Status) == ledger.StatusFrozen || ledger.Status(in.Status) == ledger.StatusActive
	if adminAction && in.Reason == "" && c.IsAdmin() {
		return View{}, ErrReasonRequired
	}
	if in.Reason != "" {
		if err := audit.ValidateReason(in.Reason); err != nil {
			return View{}, err
		}
	}
	var out ledger.Wallet
	err := retry.Conflicts(ctx, func(int) error {
		w, err := s.visible(ctx, c, id)
		if err != nil {
			return err
		}
		next, err := ledger.ChangeStatus(w, ledger.Status(in.Status), c.IsAdmin(), w.OwnerID == c.UserID, s.now().UTC().Truncate(time.Millisecond))
		if err != nil || next.Version == w.Version {
			out = next
			return err
		}
		rec, err := statusAudit(c, w, next, in.Reason)
		if err != nil {
			return err
		}
		if err := s.store.SetStatus(ctx, w, next, rec); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return ViewOf(out), nil
}

// statusAudit is the audit record of a freeze or unfreeze (only admins may); nil for an
// owner's close, which is no admin action.
func statusAudit(c op.Caller, before, after ledger.Wallet, reason string) (*audit.Record, error) {
	if after.Status != ledger.StatusFrozen && before.Status != ledger.StatusFrozen {
		return nil, nil
	}
	action := audit.ActionUnfreeze
	if after.Status == ledger.StatusFrozen {
		action = audit.ActionFreeze
	}
	state := func(w ledger.Wallet) any {
		return struct {
			Status  ledger.Status `json:"status"`
			Version int64         `json:"version"`
		}{w.Status, w.Version}
	}
	return audit.New(c, action, audit.TargetWallet, before.ID, reason, state(before), state(after), after.UpdatedAt)
}

// CheckLedger runs the invariant check over the whole ledger; admins only.
func (s *Service) CheckLedger(ctx context.Context, c op.Caller) (ledger.Report, error) {
	if !c.IsAdmin() {
		return ledger.Report{}, problem.ErrForbidden
	}
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return ledger.Report{}, err
	}
	return ledger.Check(snap), nil
}
