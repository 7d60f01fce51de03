// Package transfer moves money between wallets through a saga: reserve on the
// source (a hold), then post the hold to the destination and complete in one
// transaction; a failure after the reserve releases the hold. The saga runs in
// Step Functions (statemachines/transfer.asl.json); this package holds its steps, the
// API use cases around it, and the circuit breaker that protects it.
package transfer

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// Status is a transfer's state.
type Status string

// Transfer statuses: PENDING → HELD → COMPLETED, or FAILED, RELEASED (voided or
// expired), or NEEDS_REVIEW when a compensation kept failing.
const (
	StatusPending     Status = "PENDING"
	StatusHeld        Status = "HELD"
	StatusCapturing   Status = "CAPTURING" // a capture won the race and its settle saga runs
	StatusCompleted   Status = "COMPLETED"
	StatusFailed      Status = "FAILED"
	StatusReleased    Status = "RELEASED"
	StatusNeedsReview Status = "NEEDS_REVIEW"
)

// Reviewable are the statuses a saga that could not compensate may mark NEEDS_REVIEW:
// those of a running phase. The state machine's MarkNeedsReview is conditional on
// exactly these (a contract test holds statemachines/transfer.asl.json to it), so a
// late failing execution never reopens a settled or held transfer.
var Reviewable = []Status{StatusPending, StatusCapturing}

// Final reports whether no further change will happen without a person.
func (s Status) Final() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusReleased || s == StatusNeedsReview
}

// Modes.
const (
	ModeImmediate = "immediate"
	ModeHold      = "hold"
)

// Limits, in the units their names carry.
const (
	HoldExpirySecondsMin     = 60
	HoldExpirySecondsMax     = 604_800
	HoldExpirySecondsDefault = 3_600
	ListPageSizeMax          = 100
	ListPageSizeDefault      = 25
	stepsMax                 = 16
)

// Step is one saga step as recorded on the transfer.
type Step struct {
	Name      string    `json:"name" dynamodbav:"name"`
	Status    string    `json:"status" dynamodbav:"status"`
	StartedAt time.Time `json:"started_at" dynamodbav:"started_at"`
	EndedAt   time.Time `json:"ended_at" dynamodbav:"ended_at"`
	Detail    string    `json:"detail,omitempty" dynamodbav:"detail,omitempty"`
}

// Transfer is the saga's record. The step flags make every step idempotent: a step
// that finds its flag set has already posted and does nothing.
type Transfer struct {
	ID                  string
	SourceWalletID      string
	DestinationWalletID string
	SourceOwnerID       string
	DestinationOwnerID  string
	AmountMinor         int64
	CaptureMinor        int64 // what the settle phase moves: the amount, or a partial capture
	Currency            string
	Description         string
	Mode                string
	Status              Status
	FailureReason       string
	CreatedAt           time.Time
	UpdatedAt           time.Time
	ExpiresAt           time.Time // holds only
	Version             int64
	Reserved            bool
	Credited            bool
	Captured            bool
	Released            bool
	Reversed            bool
	Steps               []Step
	// ReviewOpenedAt is when the review case of a NEEDS_REVIEW transfer was recorded
	// (see RecordCase); zero until then.
	ReviewOpenedAt time.Time
	// ReviewFrom is the status a NEEDS_REVIEW transfer was in when its saga marked it
	// (PENDING or CAPTURING): whether the payer had asked to settle a hold.
	ReviewFrom Status
	// RequestHash fingerprints the create request (see RequestHashChars), so that a key
	// sent again with another request is refused for as long as the transfer exists.
	RequestHash string
	// RefundOf is, on a refund, the transfer it gives money back for.
	RefundOf string
	// RefundedMinor and RefundIDs are, on a refunded transfer, the total of its
	// completed refunds and their ids, written by each refund's post (see RefundClaim).
	RefundedMinor int64
	RefundIDs     []string
	// RequestID is, on a transfer that pays a payment request, the request, and
	// RequestExpiresAt that request's expiry (see RequestPayment).
	RequestID        string
	RequestExpiresAt time.Time
}

// IDFor derives a transfer's id from its creator and the Idempotency-Key of the request
// that creates it (a name-based UUID), so the transfer's own conditional write is what
// makes its creation happen once: a retry finds it by the same id.
func IDFor(userID, key string) string {
	return uuid.NewSHA1(transferIDSpace, []byte(userID+"\n"+key)).String()
}

// transferIDSpace is the UUID namespace of derived transfer ids (a fixed random UUID).
var transferIDSpace = uuid.MustParse("6f1f2d0c-3b8e-4c55-9a57-0d8f3e7b2a61")

// RequestHashChars is how much of idempotency.Hash a transfer keeps: 128 bits, enough to
// tell one request from another, and small, because every saga step rewrites the item.
const RequestHashChars = 32

// View is a transfer as the API shows it.
type View struct {
	ID                  string     `json:"id"`
	SourceWalletID      string     `json:"source_wallet_id"`
	DestinationWalletID string     `json:"destination_wallet_id"`
	Amount              int64      `json:"amount"`
	CapturedAmount      *int64     `json:"captured_amount,omitempty"`
	Currency            string     `json:"currency"`
	Description         string     `json:"description,omitempty"`
	Mode                string     `json:"mode"`
	Status              Status     `json:"status"`
	FailureReason       string     `json:"failure_reason,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	ExpiresAt           *time.Time `json:"expires_at,omitempty"`
	RefundOf            string     `json:"refund_of,omitempty"`
	Refunds             *Refunds   `json:"refunds,omitempty"`
	PaymentRequestID    string     `json:"payment_request_id,omitempty"`
	Steps               []Step     `json:"steps,omitempty"`
}

// Refunds is what a refunded transfer shows of its completed refunds.
type Refunds struct {
	Amount      int64    `json:"amount"` // the refunded total, in minor units
	TransferIDs []string `json:"transfer_ids"`
}

// ViewOf renders a transfer as lists show it, without its saga steps.
func ViewOf(t Transfer) View {
	v := View{ID: t.ID, SourceWalletID: t.SourceWalletID, DestinationWalletID: t.DestinationWalletID, Amount: t.AmountMinor,
		Currency: t.Currency, Description: t.Description, Mode: t.Mode, Status: t.Status, FailureReason: t.FailureReason,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, RefundOf: t.RefundOf, PaymentRequestID: t.RequestID}
	if len(t.RefundIDs) > 0 {
		v.Refunds = &Refunds{Amount: t.RefundedMinor, TransferIDs: append([]string{}, t.RefundIDs...)}
	}
	if t.Status == StatusCompleted && t.Mode == ModeHold {
		c := t.CaptureMinor
		v.CapturedAmount = &c
	}
	if !t.ExpiresAt.IsZero() {
		e := t.ExpiresAt
		v.ExpiresAt = &e
	}
	return v
}

// DetailedViewOf renders a transfer with its saga steps.
func DetailedViewOf(t Transfer) View {
	v := ViewOf(t)
	v.Steps = append([]Step{}, t.Steps...)
	return v
}

func (t *Transfer) record(name, status, detail string, started, now time.Time) {
	if len(t.Steps) >= stepsMax {
		return
	}
	t.Steps = append(t.Steps, Step{Name: name, Status: status, StartedAt: started, EndedAt: now, Detail: detail})
}

// Errors of this package.
var (
	ErrNotHeld       = problem.Unprocessable("transfer_not_held", "the transfer is not held: it was captured, voided, expired or never held")
	ErrHoldExpired   = problem.Unprocessable("hold_expired", "the hold expired and was released; nothing was captured")
	ErrCaptureAmount = problem.Unprocessable("invalid_capture_amount", "the capture amount must be positive and at most the held amount")
	// ErrExists is a store's answer to creating a transfer whose id is taken: a request
	// with the same key wrote it first.
	ErrExists      = errors.New("transfer exists")
	ErrUnavailable = &problem.Error{Kind: problem.KindUnavailable, Code: "service_unavailable",
		Message: "transfers are paused after repeated failures; retry later"}
)

// Change is written atomically by the store: wallet deltas (see ledger.Delta), at most
// one posting, the transfer (conditional on its version), the expiring-hold index, an
// idempotency completion and, for a refund's post, its claim on the refunded transfer.
//
// The store also keeps the review index from Before and After: a change that sets
// ReviewOpenedAt opens the transfer's case (Case, written with it), and a change that
// takes a transfer with an open case out of NEEDS_REVIEW closes it. An admin's change
// carries its audit record, written in the same transaction.
type Change struct {
	Deltas     []ledger.Delta
	Posting    *ledger.Posting
	Before     *Transfer
	After      Transfer
	Completion *idempotency.Completion
	Case       *ReviewCase
	Audit      *audit.Record
	Refund     *RefundClaim // a refund's post: its amount counted on the refunded transfer
}

// Store persists transfers.
type Store interface {
	Wallet(ctx context.Context, id string) (ledger.Wallet, error)
	// WalletIn reads an owner's wallet in a currency (an owner has at most one);
	// problem.ErrNotFound when there is none.
	WalletIn(ctx context.Context, ownerID, currency string) (ledger.Wallet, error)
	Transfer(ctx context.Context, id string) (Transfer, error)
	// CreateTransfer writes a new transfer (ErrExists when its id is taken by another
	// request's transfer), then its per-wallet list entries (see IndexTransfer). A
	// transfer that pays a payment request (RequestID) is written in one transaction with
	// the request's move to PAYING, refused with the request's refusal when it is not
	// PENDING before its expiry. Writing
	// the same transfer again is no error: a write that was sent twice (its first answer
	// lost) creates it once.
	CreateTransfer(ctx context.Context, t Transfer) error
	// IndexTransfer writes a transfer's per-wallet list entries; writing them again is
	// harmless. They are outside the transfer's write: a creator that stopped between
	// the two leaves a PENDING transfer, whose replay writes them before it restarts the
	// saga.
	IndexTransfer(ctx context.Context, t Transfer) error
	CommitTransfer(ctx context.Context, c Change) error // retry.ErrConflict when something moved on
	// WalletIDsOf returns the ids of an owner's wallets (at most
	// wallet.WalletsPerOwnerMax).
	WalletIDsOf(ctx context.Context, ownerID string) ([]string, error)
	// TransfersOfWallets returns up to limit transfers that move money out of or into
	// any of walletIDs, newest first, after cursor, each once, and the cursor of the
	// next page ("" on the last).
	TransfersOfWallets(ctx context.Context, walletIDs []string, limit int, cursor string) ([]Transfer, string, error)
	// ExpiredHolds lists up to limit transfers whose hold expired by now, oldest first,
	// after the index position after ("" from the start), and the position to continue
	// from ("" when there is no more).
	ExpiredHolds(ctx context.Context, now time.Time, limit int, after string) ([]string, string, error)
	// ForgetHold drops a hold's expiry index entry left behind by a transfer that is no
	// longer HELD, so it cannot crowd out live holds.
	ForgetHold(ctx context.Context, t Transfer) error
}
