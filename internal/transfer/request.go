package transfer

import (
	"context"
	"errors"
	"time"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// A transfer that pays a payment request carries the request's id (RequestID). The
// store creates it in one transaction with the request's move from PENDING (and before
// its expiry) to PAYING, naming the transfer: of two payments of one request, whatever
// their keys, one is written and the other refused. The transfer's end moves the
// request on in the transaction that writes that end (see Change.RequestMove): PAID
// with the posting that completes it, back to PENDING with the FAILED status of a
// transfer that moved no money, so a refused payment (insufficient funds) leaves the
// request payable. The transfer carries the request's expiry too (RequestExpiresAt): the
// move to PAYING drops the request's entry in the expiry index, and a reopen puts it
// back, in the same transactions.

// RequestPayment is a payment request as paying it needs it; the package that owns
// requests checks who may pay it and that it is payable.
type RequestPayment struct {
	RequestID   string
	PayeeID     string // whose ACTIVE wallet in Currency is paid
	AmountMinor int64
	Currency    string
	Note        string
	ExpiresAt   time.Time // the request's expiry: its entry in the expiry index is keyed by it
}

// PayInput is the body of POST /v1/payment-requests/{id}/pay.
type PayInput struct {
	WalletID string `json:"wallet_id"`
}

// RequestMove is what a change does to the payment request its transfer pays: settle
// it (PAID) when the transfer completed, reopen it (PENDING) when the transfer failed
// with no money moved. The store writes it in the change's transaction, on condition
// that the request is PAYING by this transfer.
type RequestMove struct {
	RequestID  string
	TransferID string
	Paid       bool
}

// RequestMove is the move of c's payment request; nil when c does not end a transfer
// that pays one.
func (c Change) RequestMove() *RequestMove {
	if c.After.RequestID == "" || c.Before == nil || c.Before.Status == c.After.Status {
		return nil
	}
	switch c.After.Status {
	case StatusCompleted:
		return &RequestMove{RequestID: c.After.RequestID, TransferID: c.After.ID, Paid: true}
	case StatusFailed, StatusReleased:
		return &RequestMove{RequestID: c.After.RequestID, TransferID: c.After.ID}
	}
	return nil
}

// PayRequest pays a payment request from the caller's wallet in.WalletID to the payee's
// wallet in the request's currency, once per Idempotency-Key like every transfer: the
// key comes first (a replay answers before any check, after the request is PAID too),
// then load reads and checks the request, then the wallets and the breaker.
func (s *Service) PayRequest(ctx context.Context, c op.Caller, requestID, key string, in PayInput,
	load func(ctx context.Context) (RequestPayment, error)) (Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Result{}, err
	}
	hash, err := idempotency.Hash("pay_request", requestID, in)
	if err != nil {
		return Result{}, err
	}
	return s.create(ctx, c, key, hash, func(id string) (Transfer, bool, error) {
		if in.WalletID == "" {
			return Transfer{}, false, problem.Invalid("missing_field", "wallet_id is required")
		}
		r, err := load(ctx)
		if err != nil {
			return Transfer{}, false, err
		}
		if err := money.Positive(r.AmountMinor); err != nil {
			return Transfer{}, false, err
		}
		src, err := s.wallet(ctx, in.WalletID)
		if err != nil || src.OwnerID != c.UserID {
			return Transfer{}, false, orNotFound(err)
		}
		dst, err := s.Store.WalletIn(ctx, r.PayeeID, r.Currency)
		if errors.Is(err, problem.ErrNotFound) {
			return Transfer{}, false, ErrRecipientWallet
		} else if err != nil {
			return Transfer{}, false, err
		}
		switch {
		case src.Currency != r.Currency:
			return Transfer{}, false, ledger.ErrCurrencyMismatch
		case src.ID == dst.ID:
			return Transfer{}, false, ledger.ErrSameWallet
		case src.Status != ledger.StatusActive:
			return Transfer{}, false, ledger.ErrWalletNotActive
		case dst.Status != ledger.StatusActive:
			return Transfer{}, false, ErrRecipientWallet
		}
		probe, err := s.Breaker.Allow(ctx)
		if err != nil {
			return Transfer{}, false, err
		}
		desc := r.Note
		if desc == "" {
			desc = "payment request"
		}
		now := s.now()
		return Transfer{ID: id, RequestHash: hash[:RequestHashChars], SourceWalletID: src.ID, DestinationWalletID: dst.ID,
			SourceOwnerID: src.OwnerID, DestinationOwnerID: dst.OwnerID, AmountMinor: r.AmountMinor, CaptureMinor: r.AmountMinor,
			Currency: r.Currency, Description: desc, Mode: ModeImmediate, Status: StatusPending, CreatedAt: now, UpdatedAt: now,
			Version: 1, RequestID: r.RequestID, RequestExpiresAt: r.ExpiresAt}, probe, nil
	})
}
