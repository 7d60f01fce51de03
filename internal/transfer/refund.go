package transfer

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// A refund is a transfer of its own, from the payee of a COMPLETED transfer back to its
// payer, through the same saga. Several partial refunds may give back at most what the
// refunded transfer moved: the bound is a condition on the refunded transfer's
// refunded total, written in the same transaction as the refund's post (RefundClaim).

// RefundsPerTransferMax bounds the refunds of one transfer, which keeps the refunded
// transfer's item (it lists their ids) small.
const RefundsPerTransferMax = 20

// Refund errors.
var (
	ErrNotRefundable = problem.Unprocessable("transfer_not_refundable",
		"only a COMPLETED transfer that is not itself a refund can be refunded")
	ErrRefundExceeds = problem.Unprocessable("refund_exceeds_amount",
		"the refunds of a transfer cannot total more than the amount it moved")
	ErrTooManyRefunds = problem.Unprocessable("too_many_refunds", "a transfer has reached the most refunds it can have")
	ErrNotPayee       = problem.New(problem.KindForbidden, "not_payee", "only the payee of a transfer can refund it")
)

// RefundInput is the body of POST /v1/transfers/{id}/refunds.
type RefundInput struct {
	Amount      money.Minor `json:"amount"`
	Description string      `json:"description,omitempty"`
}

// RefundClaim is a refund's post counted on the refunded transfer: its refunded total
// grows by AmountMinor and RefundID joins its refunds, on condition (checked by the store
// on the stored transfer, in the post's transaction) that Refusal finds nothing.
type RefundClaim struct {
	TransferID   string // the refunded transfer
	RefundID     string
	AmountMinor  int64
	CaptureMinor int64 // what the refunded transfer moved: the bound on its refunds' total
}

// Refusal is why the refund cannot be counted on t, the refunded transfer as it stands,
// checked in a fixed order; nil when it can.
func (r RefundClaim) Refusal(t Transfer) error {
	switch {
	case t.Status != StatusCompleted || t.RefundOf != "":
		return ErrNotRefundable
	case r.AmountMinor <= 0 || t.RefundedMinor > r.CaptureMinor-r.AmountMinor:
		return ErrRefundExceeds
	case len(t.RefundIDs) >= RefundsPerTransferMax:
		return ErrTooManyRefunds
	}
	return nil
}

// Apply counts the refund on t, the refunded transfer.
func (r RefundClaim) Apply(t Transfer) Transfer {
	t.RefundedMinor += r.AmountMinor
	t.RefundIDs = append(append([]string{}, t.RefundIDs...), r.RefundID)
	t.Version++
	return t
}

// refundClaimOf is the claim a refund's post makes; nil for any other transfer. The
// refunded transfer is read for its captured amount, which no longer changes once it is
// COMPLETED.
func refundClaimOf(ctx context.Context, store Store, t Transfer) (*RefundClaim, error) {
	if t.RefundOf == "" {
		return nil, nil
	}
	orig, err := store.Transfer(ctx, t.RefundOf)
	if err != nil {
		return nil, err
	}
	return &RefundClaim{TransferID: orig.ID, RefundID: t.ID, AmountMinor: t.CaptureMinor, CaptureMinor: orig.CaptureMinor}, nil
}

// Refund gives all or part of a COMPLETED transfer back to its payer: only its payee may,
// from the payee's available balance, once per Idempotency-Key, as a transfer of its own
// (refund_of names the refunded one) that runs through the saga like any other.
func (s *Service) Refund(ctx context.Context, c op.Caller, id, key string, in RefundInput) (Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Result{}, err
	}
	hash, err := idempotency.Hash("refund", id, in)
	if err != nil {
		return Result{}, err
	}
	return s.create(ctx, c, key, hash, func(refundID string) (Transfer, bool, error) {
		return s.openRefund(ctx, c, id, refundID, hash, in)
	})
}

// openRefund checks a new refund of transfer id (the input, the refunded transfer and
// its refundable rest, both wallets, the breaker) and builds it.
func (s *Service) openRefund(ctx context.Context, c op.Caller, id, refundID, hash string, in RefundInput) (Transfer, bool, error) {
	if err := money.Positive(int64(in.Amount)); err != nil {
		return Transfer{}, false, err
	}
	if err := op.ValidateDescription(in.Description); err != nil {
		return Transfer{}, false, err
	}
	orig, err := s.visible(ctx, c, id)
	if err != nil {
		return Transfer{}, false, err
	}
	if orig.DestinationOwnerID != c.UserID {
		return Transfer{}, false, ErrNotPayee
	}
	if err := (RefundClaim{TransferID: orig.ID, RefundID: refundID, AmountMinor: int64(in.Amount),
		CaptureMinor: orig.CaptureMinor}).Refusal(orig); err != nil {
		return Transfer{}, false, err
	}
	src, err := s.wallet(ctx, orig.DestinationWalletID)
	if err != nil {
		return Transfer{}, false, err
	}
	dst, err := s.wallet(ctx, orig.SourceWalletID)
	if err != nil {
		return Transfer{}, false, err
	}
	if src.Status != ledger.StatusActive || dst.Status != ledger.StatusActive {
		return Transfer{}, false, ledger.ErrWalletNotActive
	}
	probe, err := s.Breaker.Allow(ctx)
	if err != nil {
		return Transfer{}, false, err
	}
	desc := in.Description
	if desc == "" {
		desc = "refund"
	}
	now := s.now()
	return Transfer{ID: refundID, RequestHash: hash[:RequestHashChars], SourceWalletID: src.ID, DestinationWalletID: dst.ID,
		SourceOwnerID: src.OwnerID, DestinationOwnerID: dst.OwnerID, AmountMinor: int64(in.Amount), CaptureMinor: int64(in.Amount),
		Currency: orig.Currency, Description: desc, Mode: ModeImmediate, Status: StatusPending, CreatedAt: now, UpdatedAt: now,
		Version: 1, RefundOf: orig.ID}, probe, nil
}
