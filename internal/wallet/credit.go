package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
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

// Outcome is what a guarded write did; package apigw answers each with its status.
type Outcome string

// The outcomes.
const (
	Created  Outcome = "created"  // it made something new
	Done     Outcome = "done"     // it acted on something that exists
	Accepted Outcome = "accepted" // it is still running
)

// Result is a guarded write's answer: its outcome and JSON body, or the refusal it
// ended in (a transfer that ran and failed), and whether it replays an earlier answer.
type Result struct {
	Outcome  Outcome
	Body     []byte
	Refusal  *problem.Error
	Replayed bool
}

// Credit tops one of the caller's wallets up from the funding account, once per
// idempotency key. The key comes first: a completed key replays its answer before any
// other check, so a retry of a credit that happened never hears that it did not
// (because the wallet was frozen since, say).
func (s *Service) Credit(ctx context.Context, c Caller, walletID, key string, in CreditInput) (Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Result{}, err
	}
	hash, err := idempotency.Hash("credit", walletID, in)
	if err != nil {
		return Result{}, err
	}
	return Guarded(ctx, s.idem, s.now(), idempotency.NewClaim(c.UserID, key, hash), func(claim idempotency.Claim) (Result, error) {
		if err := money.Positive(int64(in.Amount)); err != nil {
			return Result{}, err
		}
		if err := ValidateDescription(in.Description); err != nil {
			return Result{}, err
		}
		first, err := s.owned(ctx, c, walletID)
		if err != nil {
			return Result{}, err
		}
		postingID := uuid.NewString()
		var res Result
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
			res = Result{Outcome: Created, Body: body}
			return s.store.Commit(ctx, Change{
				Deltas:     []ledger.Delta{d},
				Posting:    &p,
				Completion: &idempotency.Completion{Claim: claim, Response: idempotency.Response{Outcome: string(res.Outcome), Body: body}},
			})
		})
		return res, err
	})
}

// Guarded runs fn under an idempotency claim: a replay answers with the stored
// response; a failure releases the claim so the same key may be retried.
func Guarded(ctx context.Context, idem idempotency.Store, now time.Time, claim idempotency.Claim, fn func(idempotency.Claim) (Result, error)) (Result, error) {
	replay, err := idem.Begin(ctx, claim, now)
	if err != nil {
		return Result{}, err
	}
	if replay != nil {
		return Result{Outcome: Outcome(replay.Outcome), Body: replay.Body, Replayed: true}, nil
	}
	res, err := fn(claim)
	if err != nil {
		if !errors.Is(err, idempotency.ErrInProgress) { // a lost claim belongs to someone else now
			if rerr := idem.Release(context.WithoutCancel(ctx), claim); rerr != nil {
				return Result{}, errors.Join(err, rerr)
			}
		}
		return Result{}, err
	}
	return res, nil
}

// ValidateDescription checks a movement's description.
func ValidateDescription(d string) error {
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > DescriptionRunesMax {
		return problem.Invalid("invalid_description", fmt.Sprintf("description must be at most %d characters", DescriptionRunesMax))
	}
	for _, r := range d {
		if r < 0x20 || r == 0x7f {
			return problem.Invalid("invalid_description", "description must not contain control characters")
		}
	}
	return nil
}
