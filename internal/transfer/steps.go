package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/metrics"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// BusinessRefusal is a step's refusal by a business rule (insufficient funds, a
// frozen wallet, …). Lambda reports its type name, which the state machine catches by
// name; the message is the API error code.
type BusinessRefusal struct{ Code string }

func (e *BusinessRefusal) Error() string { return e.Code }

// Transient is a step failure worth retrying (a throttled or failed AWS call, an
// injected fault). The state machine retries it with backoff and jitter, then
// compensates; a saga that fails on it counts against the circuit breaker.
type Transient struct{ Cause string }

func (e *Transient) Error() string { return "transient: " + e.Cause }

// Contention is a step that kept losing optimistic races on the transfer for its whole
// time budget (see retry.Conflicts). The state machine retries it; it says nothing
// about the health of a dependency, so it never counts against the circuit breaker.
type Contention struct{ Step string }

func (e *Contention) Error() string { return "contention in step " + e.Step }

// StepInput is what every step receives from the state machine.
type StepInput struct {
	TransferID string `json:"transfer_id"`
}

// StepRequest is what every step's input tells its log line: the transfer, and what the
// input adds to the step's name ("" when nothing).
type StepRequest interface {
	Transfer() string
	StepName() string
}

// Transfer names the transfer a step acts on.
func (in StepInput) Transfer() string { return in.TransferID }

// StepName adds nothing to the step's name.
func (in StepInput) StepName() string { return "" }

// Transfer names the transfer a step acts on.
func (in FinalizeInput) Transfer() string { return in.TransferID }

// StepName adds the outcome the finalize step writes.
func (in FinalizeInput) StepName() string { return string(in.Status) }

// StepOutput is what a step returns into the state machine's state.
type StepOutput struct {
	TransferID string `json:"transfer_id"`
	Mode       string `json:"mode"`
	Status     Status `json:"status"`
}

// FinalizeInput ends a saga with a status; Error is the caught error, if any.
type FinalizeInput struct {
	TransferID string       `json:"transfer_id"`
	Status     Status       `json:"status"`
	Error      *CaughtError `json:"error,omitempty"`
}

// CaughtError is Step Functions' error object after a Catch.
type CaughtError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Reason turns a caught error into a failure reason: the API code of a business
// refusal, or step_failed for anything technical.
func (c *CaughtError) Reason() string {
	if c == nil {
		return ""
	}
	switch c.Error {
	case "BusinessRefusal":
		var cause struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if json.Unmarshal([]byte(c.Cause), &cause) == nil && cause.ErrorMessage != "" {
			return cause.ErrorMessage
		}
	case "Contention":
		return ReasonContention
	}
	return ReasonStepFailed
}

// Failure reasons that are not a business rule's code.
const (
	ReasonStepFailed = "step_failed" // a dependency failed: counts against the breaker
	ReasonContention = "contention"  // lost races until the retries ran out: does not
	ReasonExpired    = "expired"     // a hold released at its expiry
)

// Step names, as recorded on the transfer and used by fault injection.
const (
	StepReserve  = "reserve"
	StepPost     = "post"
	StepRelease  = "release"
	StepFinalize = "finalize"
)

// Steps implements the saga's Lambda tasks.
type Steps struct {
	Store   Store
	Faults  Faults   // nil unless the deployment enables fault injection
	Breaker *Breaker // told about every saga that failed for technical reasons
	Now     func() time.Time
	Metrics *metrics.Emitter // counts the outcomes the steps write; nil: none
}

func (s *Steps) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// act is one step's decision on a transfer: the change to write, or nil when the
// step has nothing (more) to do.
type act func(t Transfer, now time.Time) (*Change, error)

func (s *Steps) run(ctx context.Context, step string, id string, decide act) (StepOutput, error) {
	fault, err := s.injectFault(ctx, step)
	if err != nil {
		return StepOutput{}, err
	}
	var out StepOutput
	committed := false
	err = retry.Conflicts(ctx, func(int) error {
		committed = false
		t, err := s.Store.Transfer(ctx, id)
		if err != nil {
			return err
		}
		started := s.now()
		c, err := decide(t, started)
		if err != nil {
			return err
		}
		out = StepOutput{TransferID: t.ID, Mode: t.Mode, Status: t.Status}
		if c == nil {
			return nil
		}
		before := t
		c.Before = &before
		c.After.Version = t.Version + 1
		c.After.UpdatedAt = started
		c.After.record(step, "succeeded", "", started, s.now())
		if err := s.Store.CommitTransfer(ctx, *c); err != nil {
			return err // a conflict decides again on fresh state
		}
		countOutcome(s.Metrics, before, c.After)
		out.Status, committed = c.After.Status, true
		return nil
	})
	if err != nil {
		return StepOutput{}, asStepError(step, err)
	}
	if committed && fault.Mode == FaultTwice {
		// The write landed but its answer is "lost": the state machine runs the step
		// again, which must find its work done.
		return StepOutput{}, &Transient{Cause: "injected: the answer of " + step + " was lost after its commit"}
	}
	return out, nil
}

// countOutcome counts a transfer that reached an outcome (COMPLETED, HELD, FAILED,
// RELEASED) by the change from before to after, with how long its saga took: from its
// creation for the start phase, from the capture for the settle phase.
func countOutcome(m *metrics.Emitter, before, after Transfer) {
	if before.Status == after.Status {
		return
	}
	switch after.Status {
	case StatusCompleted, StatusHeld, StatusFailed, StatusReleased, StatusNeedsReview:
	default:
		return
	}
	id := metrics.D("transfer_id", after.ID)
	m.Put(metrics.Transfers, 1, []metrics.Dim{metrics.D("Outcome", string(after.Status)), metrics.D("Mode", after.Mode)}, id)
	if after.Status == StatusReleased || after.Status == StatusNeedsReview || before.Status == StatusNeedsReview {
		return // not the end of a saga (a release, a review case, an admin's resolution)
	}
	since := before.CreatedAt
	if before.Status == StatusCapturing {
		since = before.UpdatedAt
	}
	m.Put(metrics.SagaDuration, float64(after.UpdatedAt.Sub(since).Milliseconds()), []metrics.Dim{metrics.D("Outcome", string(after.Status))}, id)
}

// asStepError maps domain refusals to BusinessRefusal, races lost until the budget ran
// out to Contention, and everything else to Transient.
func asStepError(step string, err error) error {
	if errors.Is(err, retry.ErrContention) {
		return &Contention{Step: step}
	}
	if p, ok := problem.As(err); ok && (p.Kind == problem.KindUnprocessable || p.Kind == problem.KindNotFound) {
		return &BusinessRefusal{Code: p.Code}
	}
	return &Transient{Cause: err.Error()}
}

func deltas(d ledger.Delta) []ledger.Delta { return []ledger.Delta{d} }

// Reserve places the hold on the source wallet.
func (s *Steps) Reserve(ctx context.Context, in StepInput) (StepOutput, error) {
	return s.run(ctx, StepReserve, in.TransferID, func(t Transfer, now time.Time) (*Change, error) {
		if t.Reserved || t.Status != StatusPending {
			return nil, nil
		}
		src, err := s.Store.Wallet(ctx, t.SourceWalletID)
		if err != nil {
			return nil, err
		}
		if src.Currency != t.Currency {
			return nil, ledger.ErrCurrencyMismatch
		}
		d, err := ledger.Hold(src, t.AmountMinor, now) // refuses early on what was read
		if err != nil {
			return nil, err
		}
		after := t
		after.Reserved = true
		// The store re-checks the rule atomically on the stored wallet (available and
		// status), so concurrent reserves on one wallet do not have to retry each other.
		return &Change{Deltas: deltas(d), After: after}, nil
	})
}

// Post completes a transfer in one transaction. An immediate transfer is reserved and
// posted at once: the amount leaves the source's available balance and enters the
// destination's, so a refusal leaves nothing to undo. A capture moves the captured part
// of the source's hold to the destination and releases the rest of the hold: once it is
// written there is nothing left that can fail, and before it nothing has moved but the
// hold, which a release gives back. A transfer the saga of earlier versions left
// credited from transit but not captured is not posted: its release refuses, and it
// goes to review.
func (s *Steps) Post(ctx context.Context, in StepInput) (StepOutput, error) {
	return s.run(ctx, StepPost, in.TransferID, func(t Transfer, now time.Time) (*Change, error) {
		if !t.settling() {
			return nil, nil // posted, released, or no longer this saga's to post
		}
		if t.Mode == ModeImmediate && !t.Reserved {
			return postNow(ctx, s.Store, t, now)
		}
		if !t.holdOpen() {
			return nil, nil
		}
		if t.Credited {
			return nil, fmt.Errorf("post transfer %s: credited from transit by an earlier version's saga, not captured", t.ID)
		}
		return postHold(ctx, s.Store, t, now)
	})
}

// postHold is the one way a transfer's hold is posted (the saga's post, an admin's
// complete): one posting moves the captured part to the destination, the whole hold
// leaves the source's held, and the transfer is COMPLETED; a refund's post also counts
// it on the refunded transfer, which the store refuses beyond the refundable amount.
func postHold(ctx context.Context, store Store, t Transfer, now time.Time) (*Change, error) {
	if !t.holdOpen() {
		return nil, ErrNotHeld
	}
	return post(ctx, store, t, now, t.AmountMinor)
}

// postNow reserves and posts an immediate transfer in one posting: nothing was held,
// the amount leaves the source's available balance. The transfer records the hold as
// placed and posted, which is what the one transaction did.
func postNow(ctx context.Context, store Store, t Transfer, now time.Time) (*Change, error) {
	ch, err := post(ctx, store, t, now, 0)
	if err != nil {
		return nil, err
	}
	ch.After.Reserved = true
	return ch, nil
}

// post builds the posting of a transfer's captured amount, releasing holdMinor from
// the source (0: nothing held).
func post(ctx context.Context, store Store, t Transfer, now time.Time, holdMinor int64) (*Change, error) {
	src, err := store.Wallet(ctx, t.SourceWalletID)
	if err != nil {
		return nil, err
	}
	dst, err := store.Wallet(ctx, t.DestinationWalletID)
	if err != nil {
		return nil, err
	}
	if src.Currency != t.Currency || dst.Currency != t.Currency {
		return nil, ledger.ErrCurrencyMismatch
	}
	ds, p, err := ledger.Post(src, dst, ledger.PostInput{PostingID: PostingIDOf(t), CaptureMinor: t.CaptureMinor,
		HoldMinor: holdMinor, Kind: ledger.KindTransfer, Description: t.Description, Now: now})
	if err != nil {
		return nil, err
	}
	refund, err := refundClaimOf(ctx, store, t)
	if err != nil {
		return nil, err
	}
	after := t
	after.Credited, after.Captured, after.Status = true, true, StatusCompleted
	return &Change{Deltas: ds, Posting: &p, After: after, Refund: refund}, nil
}

// PostingIDOf is the id of the posting that settles a transfer.
func PostingIDOf(t Transfer) string { return t.ID + "-post" }

// Finalize sets the saga's outcome on the transfer, once. A technical failure counts
// against the circuit breaker here, where it is known, however long the saga took.
func (s *Steps) Finalize(ctx context.Context, in FinalizeInput) (StepOutput, error) {
	changed := false
	out, err := s.finalize(ctx, in, &changed)
	if err == nil && changed && in.Status == StatusFailed {
		err = s.recordFailure(ctx, out.Status, in.Error)
	}
	return out, err
}

// recordFailure tells the breaker about a saga this step ended FAILED. Only a
// dependency's failure counts: not a business refusal, not lost races.
func (s *Steps) recordFailure(ctx context.Context, status Status, e *CaughtError) error {
	if status != StatusFailed || e.Reason() != ReasonStepFailed || s.Breaker == nil {
		return nil
	}
	if err := s.Breaker.Record(ctx, Outcome{Healthy: false}); err != nil {
		return asStepError(StepFinalize, err)
	}
	return nil
}

func (s *Steps) finalize(ctx context.Context, in FinalizeInput, changed *bool) (StepOutput, error) {
	return s.run(ctx, StepFinalize, in.TransferID, func(t Transfer, now time.Time) (*Change, error) {
		*changed = false // decided afresh on every attempt; only the committed one counts
		if t.Status.Final() || t.Status == in.Status {
			return nil, nil
		}
		switch in.Status {
		case StatusCompleted:
			if !t.Captured {
				return nil, fmt.Errorf("complete transfer %s before its capture", t.ID)
			}
		case StatusHeld:
			if !t.holdOpen() || t.Status != StatusPending || t.Mode != ModeHold {
				return nil, fmt.Errorf("hold transfer %s in status %s", t.ID, t.Status)
			}
		case StatusFailed:
			if t.Captured || (t.Credited && !t.Reversed) {
				return nil, fmt.Errorf("fail transfer %s after money moved: it needs review", t.ID)
			}
			if t.Reserved && !t.Released {
				return nil, fmt.Errorf("fail transfer %s while its hold is open", t.ID)
			}
		default:
			return nil, fmt.Errorf("finalize transfer %s to %s", t.ID, in.Status)
		}
		after := t
		after.Status = in.Status
		if reason := in.Error.Reason(); reason != "" {
			after.FailureReason = reason
		}
		*changed = true // the last decision is the one committed: run returns right after it
		return &Change{After: after}, nil
	})
}
