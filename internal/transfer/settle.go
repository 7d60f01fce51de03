package transfer

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// marker is the idempotency record's content for a settle (capture, void): the
// transfer's id. A replay renders the transfer's current state, so once final it is
// always the final answer.
func marker(claim idempotency.Claim, id string) *idempotency.Completion {
	body, _ := json.Marshal(map[string]string{"transfer_id": id})
	return &idempotency.Completion{Claim: claim, Response: idempotency.Response{Outcome: string(op.Accepted), Body: body}}
}

// CaptureInput is the body of POST /v1/transfers/{id}/capture.
type CaptureInput struct {
	Amount *money.Minor `json:"amount,omitempty"`
}

// Capture settles a HELD transfer, fully or partly (the rest is released). Capture,
// void and expiry race through one conditional write from HELD: one wins, the others
// get ErrNotHeld.
func (s *Service) Capture(ctx context.Context, c op.Caller, id, key string, in CaptureInput) (Result, error) {
	return s.settle(ctx, c, id, key, "capture", in, func(t Transfer) (*Change, error) {
		amount := t.AmountMinor
		if in.Amount != nil {
			amount = int64(*in.Amount)
		}
		if amount <= 0 || amount > t.AmountMinor {
			return nil, ErrCaptureAmount
		}
		// A frozen wallet on either side refuses the capture; the hold stays for a void
		// or its expiry. (A freeze that lands after this check fails the settle saga's
		// post, whose own transaction needs both wallets ACTIVE; its compensation then
		// releases the hold.)
		for _, id := range []string{t.SourceWalletID, t.DestinationWalletID} {
			w, err := s.Store.Wallet(ctx, id)
			if err != nil {
				return nil, err
			}
			if w.Status != ledger.StatusActive {
				return nil, ledger.ErrWalletNotActive
			}
		}
		after := t
		after.Status, after.CaptureMinor = StatusCapturing, amount
		return &Change{After: after}, nil
	})
}

// Void releases a HELD transfer's hold.
func (s *Service) Void(ctx context.Context, c op.Caller, id, key string) (Result, error) {
	return s.settle(ctx, c, id, key, "void", struct{}{}, func(t Transfer) (*Change, error) {
		return s.releaseChange(ctx, t)
	})
}

// releaseChange releases a HELD transfer's hold and ends it RELEASED (void, expiry).
func (s *Service) releaseChange(ctx context.Context, t Transfer) (*Change, error) {
	ch, err := releaseHold(ctx, s.Store, t, s.now())
	if err != nil {
		return nil, err
	}
	ch.After.Status = StatusReleased
	return ch, nil
}

// movedOn reports whether a racer changed the transfer since t was read. Deciding on a
// transfer that a racer settled meanwhile can fail on the wallet it already changed (its
// hold is gone); the decision is then taken again on fresh state.
func (s *Service) movedOn(ctx context.Context, t Transfer) bool {
	fresh, err := s.Store.Transfer(ctx, t.ID)
	return err == nil && fresh.Version != t.Version
}

func (s *Service) settle(ctx context.Context, c op.Caller, id, key, action string, body any, decide func(Transfer) (*Change, error)) (Result, error) {
	payer := func(t Transfer) error {
		if t.SourceOwnerID != c.UserID {
			return problem.ErrNotFound // the receiver may see it, only the payer settles it
		}
		return nil
	}
	won, replayed, err := s.writeOnce(ctx, c, id, key, action, body, payer, func(t Transfer) (*Change, error) {
		if err := s.fromHeld(ctx, t); err != nil {
			return nil, err
		}
		return decide(t)
	})
	if err != nil {
		return Result{}, err
	}
	if replayed {
		return s.replayTransfer(ctx, won, "", PhaseSettle)
	}
	if won.Status == StatusCapturing {
		return s.runAndAnswer(ctx, won, SagaInput{TransferID: won.ID, Phase: PhaseSettle, Mode: won.Mode}, false, op.Done)
	}
	return answer(won, op.Done)
}

// fromHeld refuses a settle of a transfer that is not HELD. Past its expiry a hold can
// only be released: fromHeld does that now, exactly once (the commit is conditional on
// the transfer's version, as the sweeper's is), and refuses with ErrHoldExpired.
func (s *Service) fromHeld(ctx context.Context, t Transfer) error {
	if t.Status == StatusReleased && t.FailureReason == ReasonExpired {
		return ErrHoldExpired
	}
	if t.Status != StatusHeld {
		return ErrNotHeld
	}
	if !t.ExpiresAt.IsZero() && !s.now().Before(t.ExpiresAt) {
		if err := s.expire(ctx, t); err != nil {
			return err
		}
		return ErrHoldExpired
	}
	return nil
}

// writeOnce is the one guarded path of a change to an existing transfer (capture, void,
// an admin's resolve): the key is claimed first; a completed key answers with the
// transfer as it stands (replayed); may refuses a caller the transfer is not for; decide
// names the change, which is committed with the key's completion in one transaction,
// conditional on the transfer's version, and decided again on fresh state when a racer
// moved the transfer on. A refusal releases the key for a corrected retry.
func (s *Service) writeOnce(ctx context.Context, c op.Caller, id, key, action string, body any, may func(Transfer) error,
	decide func(Transfer) (*Change, error)) (won Transfer, replayed bool, err error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Transfer{}, false, err
	}
	hash, err := idempotency.Hash(action, id, body)
	if err != nil {
		return Transfer{}, false, err
	}
	claim := idempotency.NewClaim(c.UserID, key, hash)
	stored, err := s.Idem.Begin(ctx, claim, s.now()) // the key comes first, as in Create
	if err != nil {
		return Transfer{}, false, err
	}
	if stored != nil {
		t, err := s.markedTransfer(ctx, stored)
		return t, true, err
	}
	t, err := s.visible(ctx, c, id)
	if err == nil {
		err = may(t)
	}
	if err != nil {
		return Transfer{}, false, errors.Join(err, s.Idem.Release(context.WithoutCancel(ctx), claim))
	}
	err = retry.Conflicts(ctx, func(attempt int) error {
		if attempt > 1 {
			var err error
			if t, err = s.Store.Transfer(ctx, id); err != nil {
				return err
			}
		}
		ch, err := decide(t)
		if err != nil {
			if s.movedOn(ctx, t) { // the next attempt sees how the racer settled it
				return retry.ErrConflict
			}
			return err
		}
		before := t
		ch.Before, ch.Completion = &before, marker(claim, t.ID)
		ch.After.Version, ch.After.UpdatedAt = t.Version+1, s.now()
		ch.After.record(action, "succeeded", "", ch.After.UpdatedAt, ch.After.UpdatedAt)
		if err := s.Store.CommitTransfer(ctx, *ch); err != nil {
			return err
		}
		countOutcome(s.Metrics, before, ch.After)
		won = ch.After
		return nil
	})
	if err != nil {
		if !errors.Is(err, idempotency.ErrInProgress) {
			err = errors.Join(err, s.Idem.Release(context.WithoutCancel(ctx), claim))
		}
		return Transfer{}, false, err
	}
	return won, false, nil
}
