package wallet

import (
	"context"
	"time"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
)

// WithdrawalInput is the body of POST /v1/wallets/{id}/withdrawals.
type WithdrawalInput struct {
	Amount      money.Minor `json:"amount"`
	Description string      `json:"description,omitempty"`
}

// WithdrawalView is the answer to a withdrawal. Like a credit's, it carries no balance.
type WithdrawalView = MovementView

// Withdraw moves money out of one of the caller's wallets to the external funding
// account, once per idempotency key, out of the available balance and within the
// per-withdrawal and daily limits. As for credits, the key comes first.
func (s *Service) Withdraw(ctx context.Context, c op.Caller, walletID, key string, in WithdrawalInput) (op.Result, error) {
	return s.move(ctx, c, walletID, key, movement{kind: "withdrawal", request: in, amount: in.Amount, description: in.Description,
		post: func(w ledger.Wallet, postingID string, now time.Time) (ledger.Delta, ledger.Posting, error) {
			return ledger.Withdraw(w, ledger.WithdrawalInput{PostingID: postingID, AmountMinor: int64(in.Amount),
				Description: in.Description, Now: now}, s.withdrawals)
		}})
}
