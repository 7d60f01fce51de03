package transfer

import (
	"context"
	"encoding/json"
	"time"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// ResolveInput is the body of POST /v1/admin/transfers/{id}/resolve.
type ResolveInput struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// Resolve settles a NEEDS_REVIEW transfer (or one stalled PENDING or CAPTURING past
// StalledAfterSeconds) the way an admin chose, once per Idempotency-Key, with balanced
// postings and its audit record in the same transaction as its effect, and closes its
// case. Only the payer settles a hold: a hold the payer never captured is never posted.
//
//	where the money is            | retry                  | complete              | reverse
//	hold open, never captured     | back to HELD (payer's) | hold_not_captured     | release it: FAILED (reversed)
//	hold open, payer settling     | release it: FAILED     | post it: COMPLETED    | release it: FAILED (reversed)
//	nothing held, never captured  | FAILED                 | hold_not_captured     | FAILED (reversed)
//	nothing held                  | FAILED                 | no_hold_to_post       | FAILED (reversed)
//	posted                        | COMPLETED              | COMPLETED             | transfer_posted
//
// "Payer settling" is an immediate transfer, or a hold whose capture the payer asked
// for (it was CAPTURING). A post needs both wallets ACTIVE (see ledger.Post).
func (s *Service) Resolve(ctx context.Context, c op.Caller, id, key string, in ResolveInput) (op.Result, error) {
	if !c.IsAdmin() {
		return op.Result{}, problem.ErrForbidden
	}
	switch in.Action {
	case ActionRetry, ActionComplete, ActionReverse:
	default:
		return op.Result{}, problem.Invalid("invalid_action", "action must be retry, complete or reverse")
	}
	if err := audit.ValidateReason(in.Reason); err != nil {
		return op.Result{}, err
	}
	anyone := func(Transfer) error { return nil }
	won, replayed, err := s.writeOnce(ctx, c, id, key, "resolve", in, anyone, func(t Transfer) (*Change, error) {
		ch, err := s.resolution(ctx, t, in.Action)
		if err != nil {
			return nil, err
		}
		state := func(t Transfer) any {
			return struct {
				Status        Status `json:"status"`
				FailureReason string `json:"failure_reason,omitempty"`
				Money         Money  `json:"money"`
			}{t.Status, t.FailureReason, MoneyOf(t)}
		}
		ch.Audit, err = audit.New(c, audit.ActionResolve+"."+in.Action, audit.TargetTransfer, t.ID, in.Reason, state(t), state(ch.After), s.now())
		return ch, err
	})
	if err != nil {
		return op.Result{}, err
	}
	if !replayed {
		s.Metrics.Put(metrics.ReviewCasesResolved, 1, []metrics.Dim{metrics.D("Action", in.Action)}, metrics.D("transfer_id", won.ID))
	}
	body, err := json.Marshal(deskItemOf(won, nil))
	if err != nil {
		return op.Result{}, err
	}
	return op.Result{Outcome: op.Done, Body: body, Replayed: replayed}, nil
}

// resolvableFrom is the status whose saga stopped a transfer an admin may resolve: the
// one its saga marked NEEDS_REVIEW from, or PENDING or CAPTURING when it stalled there.
func (s *Service) resolvableFrom(t Transfer) (Status, error) {
	switch t.Status {
	case StatusNeedsReview:
		if t.ReviewFrom == "" { // marked before the mark recorded it: assume nothing was captured
			return StatusPending, nil
		}
		return t.ReviewFrom, nil
	case StatusPending, StatusCapturing:
		if s.now().Sub(t.UpdatedAt) >= StalledAfterSeconds*time.Second {
			return t.Status, nil
		}
	}
	return "", ErrNotInReview
}

// resolution is the change an action makes to a transfer under review (see Resolve).
func (s *Service) resolution(ctx context.Context, t Transfer, action string) (*Change, error) {
	from, err := s.resolvableFrom(t)
	if err != nil {
		return nil, err
	}
	if t.Credited && !t.Captured && !t.Reversed {
		return nil, ErrLegacyCredit
	}
	neverCaptured := t.Mode == ModeHold && from != StatusCapturing
	now := s.now()
	var ch *Change
	switch {
	case t.Captured && action == ActionReverse:
		return nil, ErrPosted
	case t.Captured:
		ch = &Change{After: t}
		ch.After.Status = StatusCompleted
		return ch, nil
	case action == ActionComplete && neverCaptured:
		return nil, ErrHoldNotCaptured
	case action == ActionComplete && t.holdOpen():
		return postHold(ctx, s.Store, t, now)
	case action == ActionComplete:
		return nil, ErrNothingToPost
	case action == ActionRetry && neverCaptured && t.holdOpen():
		// Where the payer's flow left it: HELD, to capture or void, and still bound by
		// its expiry (the sweeper releases it once past).
		ch = &Change{After: t}
		ch.After.Status, ch.After.FailureReason = StatusHeld, ""
		return ch, nil
	case t.holdOpen():
		if ch, err = releaseHold(ctx, s.Store, t, now); err != nil {
			return nil, err
		}
	default:
		ch = &Change{After: t}
	}
	ch.After.Status = StatusFailed
	if action == ActionReverse {
		ch.After.FailureReason = ReasonReversed
	}
	return ch, nil
}
