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

// MovementView is the answer to a credit or a withdrawal. It carries no balance: the
// money is added to or taken from the wallet without reading it back, so the balance
// right after it is only known to a statement (GET /v1/wallets/{id}/entries), which
// computes running balances.
type MovementView struct {
	ID          string    `json:"id"`
	WalletID    string    `json:"wallet_id"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// CreditView is the answer to a credit.
type CreditView = MovementView

// Credit tops one of the caller's wallets up from the funding account, once per
// idempotency key. The key comes first: a completed key replays its answer before any
// other check, so a retry of a credit that happened never hears that it did not
// (because the wallet was frozen since, say).
func (s *Service) Credit(ctx context.Context, c op.Caller, walletID, key string, in CreditInput) (op.Result, error) {
	return s.move(ctx, c, walletID, key, movement{kind: "credit", request: in, amount: in.Amount, description: in.Description,
		post: func(w ledger.Wallet, postingID string, now time.Time) (ledger.Delta, ledger.Posting, error) {
			return ledger.Credit(w, ledger.CreditInput{PostingID: postingID, AmountMinor: int64(in.Amount), Description: in.Description, Now: now}, s.limits)
		}})
}

// movement is money between one of the caller's wallets and the external funding
// account: a credit or a withdrawal.
type movement struct {
	kind        string // names the operation in the request's idempotency hash
	request     any    // the request body, hashed
	amount      money.Minor
	description string
	// post is the ledger's rule: the wallet's delta and the balanced posting.
	post func(w ledger.Wallet, postingID string, now time.Time) (ledger.Delta, ledger.Posting, error)
}

// move writes a movement once per idempotency key: the key's claim first (a completed
// key replays), then the wallet's delta, its posting and the key's completion in one
// transaction, decided again on a fresh read when it loses a race.
func (s *Service) move(ctx context.Context, c op.Caller, walletID, key string, m movement) (op.Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return op.Result{}, err
	}
	hash, err := idempotency.Hash(m.kind, walletID, m.request)
	if err != nil {
		return op.Result{}, err
	}
	return op.Guarded(ctx, s.idem, s.now(), idempotency.NewClaim(c.UserID, key, hash), func(claim idempotency.Claim) (op.Result, error) {
		if err := money.Positive(int64(m.amount)); err != nil {
			return op.Result{}, err
		}
		if err := op.ValidateDescription(m.description); err != nil {
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
			d, p, err := m.post(w, postingID, now)
			if err != nil {
				return err
			}
			body, err := json.Marshal(MovementView{ID: postingID, WalletID: w.ID, Amount: int64(m.amount), Currency: w.Currency,
				Description: m.description, CreatedAt: now})
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
