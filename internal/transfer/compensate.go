package transfer

import (
	"context"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/ledger"
)

// CompensateInput is the compensation's input: the transfer, the phase whose failure
// it undoes, and the error the state machine caught.
type CompensateInput struct {
	TransferID string       `json:"transfer_id"`
	Phase      string       `json:"phase"`
	Error      *CaughtError `json:"error,omitempty"`
}

// Transfer names the transfer the compensation acts on.
func (in CompensateInput) Transfer() string { return in.TransferID }

// StepName adds the phase the compensation undoes.
func (in CompensateInput) StepName() string { return in.Phase }

// Release is the saga's compensation: it undoes a phase that failed, in one
// transaction, only while the transfer is still in that phase's state (PENDING for
// the start, CAPTURING for the settle): it gives the open hold back, if any, and ends
// the transfer FAILED with the caught error's reason. A transfer the phase left
// otherwise (HELD by a MarkHeld whose answer was lost, COMPLETED by a post whose
// answer was lost, final, or under review) is not touched, so a second execution, a
// retried task or a late failure can never release a hold twice or undo a settled
// transfer.
func (s *Steps) Release(ctx context.Context, in CompensateInput) (StepOutput, error) {
	failed := false
	out, err := s.run(ctx, StepRelease, in.TransferID, func(t Transfer, now time.Time) (*Change, error) {
		failed = false // decided afresh on every attempt; only the committed one counts
		if t.Status != phaseStatus(in.Phase) {
			return nil, nil
		}
		if t.Credited && !t.Captured && !t.Reversed { // only an earlier version's saga credits before it captures
			return nil, fmt.Errorf("release of transfer %s before its credit was reversed", t.ID)
		}
		ch := &Change{After: t}
		if t.holdOpen() {
			var err error
			if ch, err = releaseHold(ctx, s.Store, t, now); err != nil {
				return nil, err
			}
		}
		ch.After.Status, ch.After.FailureReason = StatusFailed, in.Error.Reason()
		if ch.After.FailureReason == "" {
			ch.After.FailureReason = ReasonStepFailed
		}
		failed = true
		return ch, nil
	})
	if err == nil && failed {
		err = s.recordFailure(ctx, out.Status, in.Error)
	}
	return out, err
}

// phaseStatus is the status a transfer holds while a phase of its saga runs.
func phaseStatus(phase string) Status {
	if phase == PhaseSettle {
		return StatusCapturing
	}
	return StatusPending
}

// settling reports whether a post belongs to the transfer's saga now: an immediate
// transfer's start, or a capture's settle.
func (t Transfer) settling() bool {
	return (t.Status == StatusPending && t.Mode == ModeImmediate) || t.Status == StatusCapturing
}

// releaseHold is the one way a transfer's hold is given back (compensation, void,
// expiry, an admin's resolution): the source's release and the transfer marked
// released, only while the hold is open (the transfer's own flags, read at the version
// the commit is conditional on), so no hold is ever released twice or after its post.
func releaseHold(ctx context.Context, store Store, t Transfer, now time.Time) (*Change, error) {
	if !t.holdOpen() {
		return nil, ErrNotHeld
	}
	src, err := store.Wallet(ctx, t.SourceWalletID)
	if err != nil {
		return nil, err
	}
	d, err := ledger.Release(src, t.AmountMinor, now)
	if err != nil {
		return nil, err
	}
	after := t
	after.Released = true
	return &Change{Deltas: deltas(d), After: after}, nil
}
