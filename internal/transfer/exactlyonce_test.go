package transfer_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// The rules of exactly-once money, each as the path that once bent it.

// requireLedgerOK runs the ledger check on the store: balances against entries,
// conservation, and held against the open holds.
func requireLedgerOK(t *testing.T, store *memstore.Store) {
	t.Helper()
	snap, err := store.Snapshot(context.Background())
	require.NoError(t, err)
	rep := ledger.Check(snap)
	require.True(t, rep.OK, "%v", rep.Violations)
}

func freeze(store *memstore.Store, id string) {
	w := store.StoredWallet(id)
	w.Status = ledger.StatusFrozen
	store.PutWallet(w)
}

// markedForReview is what the state machine's MarkNeedsReview writes.
func markedForReview(store *memstore.Store) {
	tr := store.StoredTransfer(transferID)
	tr.ReviewFrom, tr.Status, tr.Version = tr.Status, transfer.StatusNeedsReview, tr.Version+1
	store.PutTransfer(tr)
}

// Item 1: the desk's complete posted a hold the payer never captured (after its expiry,
// out of a frozen source). Only the payer settles a hold.
func TestDeskNeverPostsAnUncapturedHold(t *testing.T) {
	tests := []struct {
		name       string
		action     string
		frozen     bool
		wantCode   string
		wantStatus transfer.Status
		wantHeld   int64
	}{
		{name: "complete is refused", action: transfer.ActionComplete, wantCode: "hold_not_captured", wantHeld: 100},
		{name: "complete is refused out of a frozen source", action: transfer.ActionComplete, frozen: true, wantCode: "hold_not_captured", wantHeld: 100},
		{name: "retry hands it back HELD to the payer", action: transfer.ActionRetry, wantStatus: transfer.StatusHeld, wantHeld: 100},
		{name: "reverse releases it", action: transfer.ActionReverse, wantStatus: transfer.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, store, _ := newSteps(t, 100, transfer.ModeHold)
			runSteps(t, steps, reserve) // MarkHeld and the compensation both failed
			markedForReview(store)
			if tt.frozen {
				freeze(store, srcID)
			}
			svc := &transfer.Service{Store: store, Idem: newServiceEnv(t).idem, Now: newClock().Now}
			_, err := svc.Resolve(context.Background(), admin, transferID, "k", transfer.ResolveInput{Action: tt.action, Reason: "test"})
			if tt.wantCode != "" {
				p, ok := problem.As(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, tt.wantCode, p.Code)
				assert.Equal(t, transfer.StatusNeedsReview, store.StoredTransfer(transferID).Status)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.wantStatus, store.StoredTransfer(transferID).Status)
			}
			assert.Zero(t, store.StoredWallet(dstID).BalanceMinor, "nothing reached the payee")
			assert.Equal(t, tt.wantHeld, store.StoredWallet(srcID).HeldMinor)
			requireLedgerOK(t, store)
		})
	}
}

// Item 2: a freeze that lands after the capture's check (or after an immediate
// transfer's reserve) stops the post: the post's own transaction needs both wallets
// ACTIVE, and the compensation gives the hold back.
func TestALateFreezeStopsThePost(t *testing.T) {
	for _, side := range []string{srcID, dstID} {
		for _, mode := range []string{transfer.ModeImmediate, transfer.ModeHold} {
			t.Run(mode+" "+side, func(t *testing.T) {
				steps, store, _ := newSteps(t, 300, mode)
				phase := transfer.PhaseStart
				runSteps(t, steps, reserve)
				if mode == transfer.ModeHold {
					runSteps(t, steps, finalizeTo(transfer.StatusHeld, nil))
					tr := store.StoredTransfer(transferID) // the capture's write, after its wallet check
					tr.Status, tr.Version = transfer.StatusCapturing, tr.Version+1
					store.PutTransfer(tr)
					phase = transfer.PhaseSettle
				}
				freeze(store, side)

				_, err := post(steps)
				var refusal *transfer.BusinessRefusal
				require.ErrorAs(t, err, &refusal)
				assert.Equal(t, "wallet_not_active", refusal.Code)
				_, postings := store.Counts()
				assert.Zero(t, postings, "nothing moved")

				runSteps(t, steps, compensate(phase, refusedErr))
				tr := store.StoredTransfer(transferID)
				assert.Equal(t, transfer.StatusFailed, tr.Status)
				assert.Equal(t, "wallet_not_active", tr.FailureReason)
				assert.Zero(t, store.StoredWallet(srcID).HeldMinor, "the hold came back")
				assert.Equal(t, int64(startMinor), store.StoredWallet(srcID).BalanceMinor)
				requireLedgerOK(t, store)
			})
		}
	}
}

// Item 3: a hold could be released twice: the saga's compensation released it and left
// it HELD, and a void (or the sweeper) then released it again, taking another hold's
// reserved money out of held.
func TestAHoldIsReleasedOnce(t *testing.T) {
	const otherHold = 500
	e := newServiceEnv(t)
	heldTransfer(e, othersHold, otherHold, e.clock.Now().Add(time.Hour)) // another payee's hold on the source
	tr := pendingTransfer(200, transfer.ModeHold)
	tr.ExpiresAt = e.clock.Now().Add(time.Hour)
	e.store.PutTransfer(tr)
	runSteps(t, e.steps, reserve, finalizeTo(transfer.StatusHeld, nil))
	require.Equal(t, int64(otherHold+200), e.store.StoredWallet(srcID).HeldMinor)

	// A second execution whose MarkHeld failed runs the compensation on the HELD hold.
	runSteps(t, e.steps, compensate(transfer.PhaseStart, technicalErr))
	assert.Equal(t, transfer.StatusHeld, e.store.StoredTransfer(transferID).Status, "a held transfer is not the start phase's to undo")

	_, err := e.svc.Void(context.Background(), callerA, transferID, idemKey)
	require.NoError(t, err)
	_, err = e.svc.Void(context.Background(), callerA, transferID, "another-key")
	assert.ErrorIs(t, err, transfer.ErrNotHeld)
	e.store.Expired = []string{transferID}
	_, err = e.svc.ExpireHolds(context.Background())
	require.NoError(t, err)

	assert.Equal(t, int64(otherHold), e.store.StoredWallet(srcID).HeldMinor, "released once; the other hold is intact")
	requireLedgerOK(t, e.store)
}

const othersHold = "0c000000-0000-4000-8000-0000000000ff"

// Item 5: a transfer stuck CAPTURING (its settle saga never ran) was on no desk, shown
// HELD, and nothing resolved it.
func TestAStalledCaptureIsVisibleAndResolvable(t *testing.T) {
	e := newServiceEnv(t)
	heldTransfer(e, transferID, 400, e.clock.Now().Add(time.Hour))
	tr := e.store.StoredTransfer(transferID)
	tr.Status, tr.CaptureMinor, tr.UpdatedAt, tr.Version = transfer.StatusCapturing, 150, e.clock.Now(), tr.Version+1
	e.store.PutTransfer(tr)

	got, err := e.svc.Get(context.Background(), callerA, transferID)
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusCapturing, got.Status, "shown as what it is")

	_, err = e.svc.Resolve(context.Background(), admin, transferID, "k-early", transfer.ResolveInput{Action: transfer.ActionComplete, Reason: "early"})
	assert.ErrorIs(t, err, transfer.ErrNotInReview, "not while its saga may still run")

	e.clock.Advance(transfer.StalledAfterSeconds * time.Second)
	_, err = e.svc.Resolve(context.Background(), admin, transferID, "k-done", transfer.ResolveInput{Action: transfer.ActionComplete, Reason: "stalled capture"})
	require.NoError(t, err)
	after := e.store.StoredTransfer(transferID)
	assert.Equal(t, transfer.StatusCompleted, after.Status, "the payer asked to capture: complete posts it")
	assert.Equal(t, int64(150), e.store.StoredWallet(dstID).BalanceMinor)
	assert.Zero(t, e.store.StoredWallet(srcID).HeldMinor)
	requireLedgerOK(t, e.store)
}

// Item 6: a transfer that reached NEEDS_REVIEW within the wait was answered 202 ("still
// running"); it is final until an operator acts, and is answered so.
func TestNeedsReviewIsNotAnsweredAsRunning(t *testing.T) {
	e := newServiceEnv(t)
	e.runner.steps = e.steps
	e.steps.Faults = faults{transfer.StepPost: {Mode: transfer.FaultFail}, transfer.StepRelease: {Mode: transfer.FaultFail}}
	res, err := e.svc.Create(context.Background(), callerA, idemKey, validCreate())
	require.NoError(t, err)
	assert.Equal(t, op.Created, res.Outcome, "201, not 202")
	assert.Equal(t, transfer.StatusNeedsReview, decodeView(t, res.Body).Status)
}

// The sweeper released a hold up to a second before expires_at (the index holds whole
// seconds), so a capture in that gap was refused hold_expired.
func TestTheSweeperNeverReleasesEarly(t *testing.T) {
	e := newServiceEnv(t)
	expiresAt := e.clock.Now().Add(400 * time.Millisecond) // in the sweep's second
	heldTransfer(e, transferID, 300, expiresAt)
	e.store.Expired = []string{transferID}

	n, err := e.svc.ExpireHolds(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, transfer.StatusHeld, e.store.StoredTransfer(transferID).Status, "still capturable until expires_at")

	e.clock.Advance(400 * time.Millisecond)
	n, err = e.svc.ExpireHolds(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "released at expires_at")
}

// TestMarkNeedsReviewIsConditional holds the state machine to transfer.Reviewable: its
// MarkNeedsReview may leave only those statuses, records which, catches the failed
// condition into a success without queueing a case, and queues the case only after
// the mark.
func TestMarkNeedsReviewIsConditional(t *testing.T) {
	raw, err := os.ReadFile("../../statemachines/transfer.asl.json")
	require.NoError(t, err)
	var asl struct {
		States map[string]struct {
			Type       string `json:"Type"`
			Next       string `json:"Next"`
			Parameters struct {
				UpdateExpression          string                       `json:"UpdateExpression"`
				ConditionExpression       string                       `json:"ConditionExpression"`
				ExpressionAttributeValues map[string]map[string]string `json:"ExpressionAttributeValues"`
				Phase                     string                       `json:"phase.$"`
				Error                     string                       `json:"error.$"`
			} `json:"Parameters"`
			Catch []struct {
				ErrorEquals []string `json:"ErrorEquals"`
				Next        string   `json:"Next"`
			} `json:"Catch"`
		} `json:"States"`
	}
	require.NoError(t, json.Unmarshal(raw, &asl))
	mark := asl.States["MarkNeedsReview"]
	require.Equal(t, "#status IN (:pending, :capturing)", mark.Parameters.ConditionExpression)
	var allowed []transfer.Status
	for _, name := range []string{":pending", ":capturing"} {
		allowed = append(allowed, transfer.Status(mark.Parameters.ExpressionAttributeValues[name]["S"]))
	}
	assert.ElementsMatch(t, transfer.Reviewable, allowed)
	assert.True(t, strings.HasPrefix(mark.Parameters.UpdateExpression, "SET review_from = #status,"), mark.Parameters.UpdateExpression)
	require.Len(t, mark.Catch, 1)
	assert.Equal(t, []string{"DynamoDB.ConditionalCheckFailedException"}, mark.Catch[0].ErrorEquals)
	assert.Equal(t, "Succeed", asl.States[mark.Catch[0].Next].Type, "a late failure of a second execution is no failure")
	assert.Equal(t, "NeedsReview", mark.Next, "the case is queued after the mark, never for a transfer not marked")

	release := asl.States["ReleaseHold"]
	assert.Equal(t, "$.phase", release.Parameters.Phase, "the compensation knows its phase")
	assert.Equal(t, "$.error", release.Parameters.Error, "and the error it fails the transfer with")
	for name, st := range asl.States {
		for _, c := range st.Catch {
			assert.NotEqual(t, "NeedsReview", c.Next, "%s queues a case without marking it", name)
		}
	}
	assert.False(t, slices.Contains(transfer.Reviewable, transfer.StatusHeld), "a HELD transfer is the payer's")
}

// TestEveryActionTwice: each action on a held or reviewed transfer, sent a second time
// under another key (a second client, a second operator), is refused or finds nothing
// to do, and the money is where one action left it.
func TestEveryActionTwice(t *testing.T) {
	const amount = 600
	type outcome struct {
		status        transfer.Status
		srcBal        int64
		dstBal        int64
		secondRefused error // nil: the second finds nothing to do
	}
	act := map[string]func(e *serviceEnv, key string) error{
		"void": func(e *serviceEnv, key string) error {
			_, err := e.svc.Void(context.Background(), callerA, transferID, key)
			return err
		},
		"capture": func(e *serviceEnv, key string) error {
			_, err := e.svc.Capture(context.Background(), callerA, transferID, key, transfer.CaptureInput{})
			return err
		},
		"sweep": func(e *serviceEnv, _ string) error {
			e.clock.Advance(2 * time.Hour)
			e.store.Expired = []string{transferID}
			_, err := e.svc.ExpireHolds(context.Background())
			return err
		},
	}
	for _, action := range []string{transfer.ActionRetry, transfer.ActionComplete, transfer.ActionReverse} {
		act["resolve "+action] = func(e *serviceEnv, key string) error {
			_, err := e.svc.Resolve(context.Background(), admin, transferID, key, transfer.ResolveInput{Action: action, Reason: "twice"})
			return err
		}
	}
	want := map[string]outcome{
		"void":             {status: transfer.StatusReleased, srcBal: startMinor, secondRefused: transfer.ErrNotHeld},
		"capture":          {status: transfer.StatusCompleted, srcBal: startMinor - amount, dstBal: amount, secondRefused: transfer.ErrNotHeld},
		"sweep":            {status: transfer.StatusReleased, srcBal: startMinor},
		"resolve retry":    {status: transfer.StatusFailed, srcBal: startMinor, secondRefused: transfer.ErrNotInReview},
		"resolve complete": {status: transfer.StatusCompleted, srcBal: startMinor - amount, dstBal: amount, secondRefused: transfer.ErrNotInReview},
		"resolve reverse":  {status: transfer.StatusFailed, srcBal: startMinor, secondRefused: transfer.ErrNotInReview},
	}
	for name, do := range act {
		t.Run(name, func(t *testing.T) {
			e := newServiceEnv(t)
			e.runner.steps = e.steps
			if strings.HasPrefix(name, "resolve") { // an immediate transfer whose post and compensation failed
				tr := pendingTransfer(amount, transfer.ModeImmediate)
				e.store.PutTransfer(tr)
				runSteps(t, e.steps, reserve)
				markedForReview(e.store)
			} else {
				heldTransfer(e, transferID, amount, e.clock.Now().Add(time.Hour))
			}
			require.NoError(t, do(e, "first"))
			err := do(e, "second")
			if w := want[name].secondRefused; w != nil {
				assert.ErrorIs(t, err, w)
			} else {
				assert.NoError(t, err)
			}
			got := want[name]
			tr := e.store.StoredTransfer(transferID)
			assert.Equal(t, got.status, tr.Status)
			src, dst := e.store.StoredWallet(srcID), e.store.StoredWallet(dstID)
			assert.Zero(t, src.HeldMinor, "the hold is settled once")
			assert.Equal(t, got.srcBal, src.BalanceMinor)
			assert.Equal(t, got.dstBal, dst.BalanceMinor)
			requireLedgerOK(t, e.store)
		})
	}
}
