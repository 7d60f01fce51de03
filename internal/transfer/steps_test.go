package transfer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

const (
	srcID      = "0a000000-0000-4000-8000-000000000001"
	dstID      = "0b000000-0000-4000-8000-000000000002"
	transferID = "0c000000-0000-4000-8000-000000000003"
	ownerA     = "user-a"
	ownerB     = "user-b"
	startMinor = 10_000
)

func usdWallet(id, owner string, balance int64) ledger.Wallet {
	return ledger.Wallet{ID: id, OwnerID: owner, Currency: "USD", BalanceMinor: balance, Status: ledger.StatusActive, Version: 3}
}

func pendingTransfer(amount int64, mode string) transfer.Transfer {
	return transfer.Transfer{ID: transferID, SourceWalletID: srcID, DestinationWalletID: dstID, SourceOwnerID: ownerA,
		DestinationOwnerID: ownerB, AmountMinor: amount, CaptureMinor: amount, Currency: "USD", Mode: mode,
		Status: transfer.StatusPending, Version: 1}
}

// newSteps sets up a source with startMinor, an empty destination and a PENDING
// transfer of amount.
func newSteps(t *testing.T, amount int64, mode string) (*transfer.Steps, *memstore.Store, *breakerStore) {
	t.Helper()
	store := memstore.New(usdWallet(srcID, ownerA, startMinor), usdWallet(dstID, ownerB, 0))
	store.PutTransfer(pendingTransfer(amount, mode))
	bs, clk := newBreakerStore(), newClock()
	return &transfer.Steps{Store: store, Now: clk.Now, Breaker: &transfer.Breaker{Store: bs, Now: clk.Now,
		Config: transfer.BreakerConfig{FailuresMax: 5, WindowSeconds: 60, CooldownSeconds: 30}}}, store, bs
}

var stepIn = transfer.StepInput{TransferID: transferID}

// stepFn adapts every step to one signature.
type stepFn func(*transfer.Steps) (transfer.StepOutput, error)

var (
	reserve  stepFn = func(s *transfer.Steps) (transfer.StepOutput, error) { return s.Reserve(context.Background(), stepIn) }
	post     stepFn = func(s *transfer.Steps) (transfer.StepOutput, error) { return s.Post(context.Background(), stepIn) }
	release  stepFn = compensate(transfer.PhaseStart, technicalErr)
	complete stepFn = finalizeTo(transfer.StatusCompleted, nil)
)

// creditedEarlier leaves the transfer as the saga of earlier versions did between its
// credit (from transit) and its capture.
func creditedEarlier(s *transfer.Steps) (transfer.StepOutput, error) {
	store := s.Store.(*memstore.Store)
	tr := store.StoredTransfer(transferID)
	tr.Credited, tr.Version = true, tr.Version+1
	store.PutTransfer(tr)
	return transfer.StepOutput{}, nil
}

// Errors the state machine catches, as it passes them on.
var (
	refusedErr   = &transfer.CaughtError{Error: "BusinessRefusal", Cause: `{"errorMessage":"wallet_not_active","errorType":"BusinessRefusal"}`}
	technicalErr = &transfer.CaughtError{Error: "Transient", Cause: `{"errorMessage":"transient: throttled","errorType":"Transient"}`}
)

// compensate is the saga's compensation of phase after it caught e.
func compensate(phase string, e *transfer.CaughtError) stepFn {
	return func(s *transfer.Steps) (transfer.StepOutput, error) {
		return s.Release(context.Background(), transfer.CompensateInput{TransferID: transferID, Phase: phase, Error: e})
	}
}

func finalizeTo(status transfer.Status, e *transfer.CaughtError) stepFn {
	return func(s *transfer.Steps) (transfer.StepOutput, error) {
		return s.Finalize(context.Background(), transfer.FinalizeInput{TransferID: transferID, Status: status, Error: e})
	}
}

func runSteps(t *testing.T, s *transfer.Steps, fns ...stepFn) {
	t.Helper()
	for i, fn := range fns {
		_, err := fn(s)
		require.NoError(t, err, "step %d", i)
	}
}

// assertConserved checks every posting sums to zero and touches only the two wallets.
func assertConserved(t *testing.T, store *memstore.Store) {
	t.Helper()
	perAccount, total := store.AccountSums()
	assert.Zero(t, total, "all postings sum to zero")
	for account := range perAccount {
		assert.Contains(t, []string{srcID, dstID}, account, "a transfer posts between its wallets only")
	}
}

func TestStepsImmediateHappyPath(t *testing.T) {
	const amount = 2_500
	s, store, bs := newSteps(t, amount, transfer.ModeImmediate)

	out, err := s.Reserve(context.Background(), stepIn)
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusPending, out.Status)
	src := store.StoredWallet(srcID)
	assert.Equal(t, int64(startMinor), src.BalanceMinor, "a hold leaves the balance")
	assert.Equal(t, int64(amount), src.HeldMinor)

	out, err = post(s)
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusCompleted, out.Status, "the post completes the transfer in its own transaction")
	out, err = s.Finalize(context.Background(), transfer.FinalizeInput{TransferID: transferID, Status: transfer.StatusCompleted})
	require.NoError(t, err, "a late Finalize(COMPLETED) is a no-op")
	assert.Equal(t, transfer.StatusCompleted, out.Status)

	src, dst := store.StoredWallet(srcID), store.StoredWallet(dstID)
	assert.Equal(t, int64(startMinor-amount), src.BalanceMinor)
	assert.Zero(t, src.HeldMinor)
	assert.Equal(t, int64(amount), dst.BalanceMinor)

	tr := store.StoredTransfer(transferID)
	assert.Equal(t, transfer.StatusCompleted, tr.Status)
	assert.Empty(t, tr.FailureReason)
	assert.True(t, tr.Reserved && tr.Credited && tr.Captured)
	assert.False(t, tr.Released || tr.Reversed)
	assert.Equal(t, int64(3), tr.Version, "one version per committed step")
	var names []string
	for _, st := range tr.Steps {
		names = append(names, st.Name)
		assert.Equal(t, "succeeded", st.Status)
	}
	assert.Equal(t, []string{"reserve", "post"}, names)

	perAccount, _ := store.AccountSums()
	assert.Equal(t, int64(-amount), perAccount[srcID])
	assert.Equal(t, int64(amount), perAccount[dstID])
	assertConserved(t, store)
	_, postings := store.Counts()
	assert.Equal(t, 1, postings, "only the post posts; reserve and finalize do not")
	assert.Equal(t, transferID+"-post", store.Postings[0].ID, "derived from the transfer: a retried post cannot post twice")
	saves, _ := bs.counts()
	assert.Zero(t, saves, "a success does not touch the breaker")
}

func TestStepsAreIdempotent(t *testing.T) {
	const amount = 700
	s, store, _ := newSteps(t, amount, transfer.ModeImmediate)
	for _, fn := range []stepFn{reserve, reserve, post, post, complete, complete} {
		_, err := fn(s)
		require.NoError(t, err)
	}
	// A late compensation after completion changes nothing either.
	runSteps(t, s, release)

	commits, postings := store.Counts()
	assert.Equal(t, 2, commits, "reserve and post (which completes); everything else was a no-op")
	assert.Equal(t, 1, postings)
	assert.Equal(t, int64(startMinor-amount), store.StoredWallet(srcID).BalanceMinor)
	assert.Zero(t, store.StoredWallet(srcID).HeldMinor)
	assert.Equal(t, int64(amount), store.StoredWallet(dstID).BalanceMinor)
	assertConserved(t, store)
}

// TestStepsContentionIsNamed: a step that loses races on its transfer until its time
// budget runs out fails with Contention (the state machine retries it by that name),
// in time, having written nothing.
func TestStepsContentionIsNamed(t *testing.T) {
	s, store, _ := newSteps(t, 100, transfer.ModeImmediate)
	store.Conflicts = 1_000_000
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	_, err := s.Reserve(ctx, stepIn)
	var c *transfer.Contention
	require.ErrorAs(t, err, &c)
	assert.NoError(t, ctx.Err(), "it failed before its deadline")
	assert.Zero(t, store.StoredWallet(srcID).HeldMinor)
}

func TestStepsRetryOnConflict(t *testing.T) {
	s, store, _ := newSteps(t, 100, transfer.ModeImmediate)
	store.Conflicts = 3

	_, err := s.Reserve(context.Background(), stepIn)
	require.NoError(t, err)
	assert.Equal(t, int64(100), store.StoredWallet(srcID).HeldMinor, "held once, not once per attempt")
}

func TestStepsBusinessRefusals(t *testing.T) {
	tests := map[string]struct {
		setup    func(store *memstore.Store)
		amount   int64
		before   []stepFn
		step     stepFn
		wantCode string
	}{
		"reserve beyond the balance": {amount: startMinor + 1, step: reserve, wantCode: "insufficient_funds"},
		"reserve beyond what is available": {amount: 600, step: reserve, wantCode: "insufficient_funds",
			setup: func(store *memstore.Store) {
				w := store.StoredWallet(srcID)
				w.HeldMinor = startMinor - 500
				store.PutWallet(w)
			}},
		"reserve on a frozen source": {amount: 100, step: reserve, wantCode: "wallet_not_active",
			setup: func(store *memstore.Store) {
				w := store.StoredWallet(srcID)
				w.Status = ledger.StatusFrozen
				store.PutWallet(w)
			}},
		"post to a frozen destination": {amount: 100, before: []stepFn{reserve}, step: post, wantCode: "wallet_not_active",
			setup: func(store *memstore.Store) {
				w := store.StoredWallet(dstID)
				w.Status = ledger.StatusFrozen
				store.PutWallet(w)
			}},
		"post to a closed destination": {amount: 100, before: []stepFn{reserve}, step: post, wantCode: "wallet_not_active",
			setup: func(store *memstore.Store) {
				w := store.StoredWallet(dstID)
				w.Status = ledger.StatusClosed
				store.PutWallet(w)
			}},
		"post to a wallet in another currency": {amount: 100, before: []stepFn{reserve}, step: post, wantCode: "currency_mismatch",
			setup: func(store *memstore.Store) {
				w := store.StoredWallet(dstID)
				w.Currency = "EUR"
				store.PutWallet(w)
			}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, store, _ := newSteps(t, tt.amount, transfer.ModeImmediate)
			if tt.setup != nil {
				tt.setup(store)
			}
			runSteps(t, s, tt.before...)
			commitsBefore, postingsBefore := store.Counts()
			srcBefore, dstBefore, trBefore := store.StoredWallet(srcID), store.StoredWallet(dstID), store.StoredTransfer(transferID)

			_, err := tt.step(s)
			var refusal *transfer.BusinessRefusal
			require.ErrorAs(t, err, &refusal)
			assert.Equal(t, tt.wantCode, refusal.Code)
			assert.Equal(t, tt.wantCode, err.Error(), "Lambda reports the code as the error message")

			commits, postings := store.Counts()
			assert.Equal(t, commitsBefore, commits)
			assert.Equal(t, postingsBefore, postings)
			assert.Equal(t, srcBefore, store.StoredWallet(srcID))
			assert.Equal(t, dstBefore, store.StoredWallet(dstID))
			assert.Equal(t, trBefore, store.StoredTransfer(transferID))
		})
	}
}

// TestStepsCompensation: the compensation releases the hold and ends the transfer
// FAILED in one transaction, with the caught error's reason; a second run (the same
// execution's retry, or a second execution) changes nothing more.
func TestStepsCompensation(t *testing.T) {
	tests := map[string]struct {
		path       []stepFn
		wantReason string
		wantSteps  []string
		wantFails  int // breaker failures recorded
	}{
		"post refused: release and fail": {
			path:       []stepFn{reserve, compensate(transfer.PhaseStart, refusedErr)},
			wantReason: "wallet_not_active",
			wantSteps:  []string{"reserve", "release"},
		},
		"post failed: release and fail": {
			path:       []stepFn{reserve, compensate(transfer.PhaseStart, technicalErr)},
			wantReason: transfer.ReasonStepFailed,
			wantSteps:  []string{"reserve", "release"},
			wantFails:  1,
		},
		"compensated twice": {
			path:       []stepFn{reserve, compensate(transfer.PhaseStart, technicalErr), compensate(transfer.PhaseStart, technicalErr), post},
			wantReason: transfer.ReasonStepFailed,
			wantSteps:  []string{"reserve", "release"},
			wantFails:  1,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, store, bs := newSteps(t, 1_200, transfer.ModeImmediate)
			runSteps(t, s, tt.path...)

			tr := store.StoredTransfer(transferID)
			assert.Equal(t, transfer.StatusFailed, tr.Status)
			assert.Equal(t, tt.wantReason, tr.FailureReason)
			assert.True(t, tr.Released)
			assert.False(t, tr.Captured)
			var names []string
			for _, st := range tr.Steps {
				names = append(names, st.Name)
			}
			assert.Equal(t, tt.wantSteps, names)

			src, dst := store.StoredWallet(srcID), store.StoredWallet(dstID)
			assert.Equal(t, int64(startMinor), src.BalanceMinor)
			assert.Zero(t, src.HeldMinor)
			assert.Zero(t, dst.BalanceMinor)
			perAccount, _ := store.AccountSums()
			assert.Zero(t, perAccount[dstID], "nothing reached the destination")
			assertConserved(t, store)
			assert.Equal(t, tt.wantFails, bs.state().Failures)
		})
	}
}

func TestStepsRefuseOutOfOrder(t *testing.T) {
	tests := map[string]struct {
		before []stepFn
		step   stepFn
	}{
		"complete before anything":    {nil, complete},
		"complete before the post":    {[]stepFn{reserve}, complete},
		"fail while the hold is open": {[]stepFn{reserve}, finalizeTo(transfer.StatusFailed, nil)},
		// A transfer the saga of earlier versions credited from transit and did not
		// capture: only a person can settle it.
		"fail while credited earlier":    {[]stepFn{reserve, creditedEarlier}, finalizeTo(transfer.StatusFailed, nil)},
		"release while credited earlier": {[]stepFn{reserve, creditedEarlier}, release},
		"post while credited earlier":    {[]stepFn{reserve, creditedEarlier}, post},
		"hold before the reserve":        {nil, finalizeTo(transfer.StatusHeld, nil)},
		"finalize to an unknown status":  {[]stepFn{reserve}, finalizeTo("DONE", nil)},
		"finalize to pending":            {[]stepFn{reserve}, finalizeTo(transfer.StatusCapturing, nil)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, store, _ := newSteps(t, 300, transfer.ModeImmediate)
			runSteps(t, s, tt.before...)
			commitsBefore, _ := store.Counts()
			trBefore := store.StoredTransfer(transferID)

			_, err := tt.step(s)
			require.Error(t, err)
			var transient *transfer.Transient
			assert.ErrorAs(t, err, &transient, "a broken saga order is technical, so it is retried then reviewed")
			var refusal *transfer.BusinessRefusal
			assert.False(t, errors.As(err, &refusal))
			commits, _ := store.Counts()
			assert.Equal(t, commitsBefore, commits)
			assert.Equal(t, trBefore, store.StoredTransfer(transferID))
		})
	}
}

// A post that committed but whose Lambda answer was lost (States.Timeout) ends in the
// Catch path: the compensation is a no-op on a posted transfer, and a late
// Finalize(FAILED) must not mark FAILED ("moved no money") a transfer whose money moved.
func TestFinalizeRefusesFailedAfterPost(t *testing.T) {
	technical := &transfer.CaughtError{Error: "States.Timeout"}
	s, store, _ := newSteps(t, 300, transfer.ModeImmediate)
	runSteps(t, s, reserve, post, compensate(transfer.PhaseStart, technical))
	trBefore := store.StoredTransfer(transferID)
	require.True(t, trBefore.Captured)

	_, err := s.Finalize(context.Background(), transfer.FinalizeInput{TransferID: transferID, Status: transfer.StatusFailed, Error: technical})
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusCompleted, store.StoredTransfer(transferID).Status,
		"source was debited %d and destination credited %d", startMinor-store.StoredWallet(srcID).BalanceMinor, store.StoredWallet(dstID).BalanceMinor)
}

func TestStepsPartialCapture(t *testing.T) {
	const held, captured = 1_000, 600
	s, store, _ := newSteps(t, held, transfer.ModeHold)
	runSteps(t, s, reserve, finalizeTo(transfer.StatusHeld, nil))
	require.Equal(t, transfer.StatusHeld, store.StoredTransfer(transferID).Status)

	// The capture request (Service.Capture) moves HELD to CAPTURING with the amount.
	tr := store.StoredTransfer(transferID)
	tr.Status, tr.CaptureMinor, tr.Version = transfer.StatusCapturing, captured, tr.Version+1
	store.PutTransfer(tr)
	runSteps(t, s, post)

	src, dst := store.StoredWallet(srcID), store.StoredWallet(dstID)
	assert.Equal(t, int64(startMinor-captured), src.BalanceMinor)
	assert.Zero(t, src.HeldMinor, "the uncaptured rest is released with the post")
	assert.Equal(t, int64(startMinor-captured), src.AvailableMinor())
	assert.Equal(t, int64(captured), dst.BalanceMinor)
	assert.Equal(t, transfer.StatusCompleted, store.StoredTransfer(transferID).Status)
	assertConserved(t, store)
}
