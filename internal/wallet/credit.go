package wallet

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// CreditInput is the body of POST /v1/wallets/{id}/credits.
type CreditInput struct {
	Amount      money.Minor `json:"amount"`
	Description string      `json:"description,omitempty"`
}

// CreditView is the answer to a credit. It carries no balance: a credit adds to the
// wallet without reading it back, so the balance right after it is only known to a
// statement (GET /v1/wallets/{id}/entries), which computes running balances.
type CreditView struct {
	ID          string    `json:"id"`
	WalletID    string    `json:"wallet_id"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Credit tops one of the caller's wallets up from the funding account, once per
// idempotency key. The key comes first: a completed key replays its answer before any
// other check, so a retry of a credit that happened never hears that it did not
// (because the wallet was frozen since, say).
func (s *Service) Credit(ctx context.Context, c op.Caller, walletID, key string, in CreditInput) (op.Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return op.Result{}, err
	}
	hash, err := idempotency.Hash("credit", walletID, in)
	if err != nil {
		return op.Result{}, err
	}
	return op.Guarded(ctx, s.idem, s.now(), idempotency.NewClaim(c.UserID, key, hash), func(claim idempotency.Claim) (op.Result, error) {
		if err := money.Positive(int64(in.Amount)); err != nil {
			return op.Result{}, err
		}
		if err := op.ValidateDescription(in.Description); err != nil {
			return op.Result{}, err
		}
		first, err := s.owned(ctx, c, walletID)
		if err != nil {
			return op.Result{}, err
		}
		postingID := uuid.NewString()
		var res op.Result
		err = retry.Conflicts(ctx, func(attempt int) error {
			w := first // the first attempt uses the read that authorized the request
			if attempt > 1 {
				var err error
				if w, err = s.owned(ctx, c, walletID); err != nil {
					return err
				}
			}
			now := s.now().UTC().Truncate(time.Millisecond)
			d, p, err := ledger.Credit(w, ledger.CreditInput{PostingID: postingID, AmountMinor: int64(in.Amount), Description: in.Description, Now: now}, s.limits)
			if err != nil {
				return err
			}
			body, err := json.Marshal(CreditView{ID: postingID, WalletID: w.ID, Amount: int64(in.Amount), Currency: w.Currency,
				Description: in.Description, CreatedAt: now})
			if err != nil {
				return err
			}
			res = op.Result{Outcome: op.Created, Body: body}
			return s.store.Commit(ctx, Change{
				Deltas:     []ledger.Delta{d},
				Posting:    &p,
				Completion: &idempotency.Completion{Claim: claim, Response: idempotency.Response{Outcome: string(res.Outcome), Body: body}},
			})
		})
		return res, err
	})
}
