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

// WithdrawalInput is the body of POST /v1/wallets/{id}/withdrawals.
type WithdrawalInput struct {
	Amount      money.Minor `json:"amount"`
	Description string      `json:"description,omitempty"`
}

// WithdrawalView is the answer to a withdrawal. Like a credit's, it carries no balance.
type WithdrawalView struct {
	ID          string    `json:"id"`
	WalletID    string    `json:"wallet_id"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Withdraw moves money out of one of the caller's wallets to the external funding
// account, once per idempotency key, out of the available balance and within the
// per-withdrawal and daily limits. As for credits, the key comes first.
func (s *Service) Withdraw(ctx context.Context, c op.Caller, walletID, key string, in WithdrawalInput) (op.Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return op.Result{}, err
	}
	hash, err := idempotency.Hash("withdrawal", walletID, in)
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
			d, p, err := ledger.Withdraw(w, ledger.WithdrawalInput{PostingID: postingID, AmountMinor: int64(in.Amount),
				Description: in.Description, Now: now}, s.withdrawals)
			if err != nil {
				return err
			}
			body, err := json.Marshal(WithdrawalView{ID: postingID, WalletID: w.ID, Amount: int64(in.Amount), Currency: w.Currency,
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
