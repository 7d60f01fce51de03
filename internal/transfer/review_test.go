package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// recordingStore is the in-memory store that also keeps every committed change, to see
// what a resolution wrote besides the money (its audit record, its case).
type recordingStore struct {
	*memstore.Store
	changes []transfer.Change
}

func (s *recordingStore) CommitTransfer(ctx context.Context, c transfer.Change) error {
	if err := s.Store.CommitTransfer(ctx, c); err != nil {
		return err
	}
	s.changes = append(s.changes, c)
	return nil
}

var admin = op.Caller{UserID: "admin-1", Role: auth.RoleAdmin, RequestID: "req-9"}

// inReview is a transfer of 100 that the saga left NEEDS_REVIEW with its money where
// upTo's steps put it.
func inReview(t *testing.T, upTo ...stepFn) (*transfer.Service, *recordingStore, *bytes.Buffer) {
	t.Helper()
	steps, mem, _ := newSteps(t, 100, transfer.ModeImmediate)
	for _, step := range upTo {
		_, err := step(steps)
		require.NoError(t, err)
	}
	tr := mem.StoredTransfer(transferID)
	tr.Status, tr.Version = transfer.StatusNeedsReview, tr.Version+1
	mem.PutTransfer(tr)
	store := &recordingStore{Store: mem}
	var emf bytes.Buffer
	svc := &transfer.Service{Store: store, Idem: &idemtest.Store{}, Now: newClock().Now,
		Metrics: &metrics.Emitter{Namespace: "Wallet/test", Out: &emf}}
	return svc, store, &emf
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name       string
		upTo       []stepFn
		action     string
		wantCode   string // a refusal, nothing changed
		wantStatus transfer.Status
		wantReason string
		wantSrc    ledger.Wallet // balance and held after
		wantDstBal int64
	}{
		{name: "retry releases an open hold", upTo: []stepFn{reserve}, action: transfer.ActionRetry,
			wantStatus: transfer.StatusFailed, wantSrc: ledger.Wallet{BalanceMinor: startMinor}},
		{name: "complete posts an open hold", upTo: []stepFn{reserve}, action: transfer.ActionComplete,
			wantStatus: transfer.StatusCompleted, wantSrc: ledger.Wallet{BalanceMinor: startMinor - 100}, wantDstBal: 100},
		{name: "reverse releases an open hold", upTo: []stepFn{reserve}, action: transfer.ActionReverse,
			wantStatus: transfer.StatusFailed, wantReason: transfer.ReasonReversed, wantSrc: ledger.Wallet{BalanceMinor: startMinor}},
		{name: "retry with the hold already released", upTo: []stepFn{reserve, release}, action: transfer.ActionRetry,
			wantStatus: transfer.StatusFailed, wantSrc: ledger.Wallet{BalanceMinor: startMinor}},
		{name: "complete with nothing held is refused", upTo: []stepFn{reserve, release}, action: transfer.ActionComplete,
			wantCode: "no_hold_to_post", wantSrc: ledger.Wallet{BalanceMinor: startMinor}},
		{name: "retry of a posted transfer completes it", upTo: []stepFn{reserve, post}, action: transfer.ActionRetry,
			wantStatus: transfer.StatusCompleted, wantSrc: ledger.Wallet{BalanceMinor: startMinor - 100}, wantDstBal: 100},
		{name: "reverse of a posted transfer is refused", upTo: []stepFn{reserve, post}, action: transfer.ActionReverse,
			wantCode: "transfer_posted", wantSrc: ledger.Wallet{BalanceMinor: startMinor - 100}, wantDstBal: 100},
		{name: "nothing reserved: reverse fails it", action: transfer.ActionReverse,
			wantStatus: transfer.StatusFailed, wantReason: transfer.ReasonReversed, wantSrc: ledger.Wallet{BalanceMinor: startMinor}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store, emf := inReview(t, tt.upTo...)
			before := len(store.changes)
			res, err := svc.Resolve(context.Background(), admin, transferID, "k-1", transfer.ResolveInput{Action: tt.action, Reason: "test"})
			src, dst := store.StoredWallet(srcID), store.StoredWallet(dstID)
			assert.Equal(t, tt.wantSrc.BalanceMinor, src.BalanceMinor, "source balance")
			assert.Equal(t, tt.wantSrc.HeldMinor, src.HeldMinor, "source held")
			assert.Equal(t, tt.wantDstBal, dst.BalanceMinor, "destination balance")
			if tt.wantCode != "" {
				p, ok := problem.As(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, tt.wantCode, p.Code)
				assert.Len(t, store.changes, before, "a refusal writes nothing")
				assert.Equal(t, transfer.StatusNeedsReview, store.StoredTransfer(transferID).Status)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, op.Done, res.Outcome)
			var shown transfer.DeskItem
			require.NoError(t, json.Unmarshal(res.Body, &shown))
			assert.Zero(t, shown.Money.HoldOpenMinor, "a resolved transfer holds nothing, posted or not")
			assert.Equal(t, tt.wantStatus == transfer.StatusCompleted, shown.Money.Posted)
			got := store.StoredTransfer(transferID)
			assert.Equal(t, tt.wantStatus, got.Status)
			if tt.wantReason != "" {
				assert.Equal(t, tt.wantReason, got.FailureReason)
			}
			require.Len(t, store.changes, before+1, "one transaction")
			ch := store.changes[before]
			require.NotNil(t, ch.Audit, "the audit record is in the action's transaction")
			assert.Equal(t, "transfer.resolve."+tt.action, ch.Audit.Action)
			assert.Equal(t, admin.UserID, ch.Audit.ActorID)
			assert.Equal(t, admin.RequestID, ch.Audit.RequestID)
			assert.Contains(t, string(ch.Audit.Before), `"status":"NEEDS_REVIEW"`)
			assert.Contains(t, string(ch.Audit.After), `"status":"`+string(tt.wantStatus)+`"`)
			assert.NotNil(t, ch.Completion, "and the key's completion")
			assert.Contains(t, emf.String(), `"ReviewCasesResolved":1`)

			// The key's record now holds the completion the commit wrote: Begin replays it.
			svc.Idem.(*idemtest.Store).Replay = &store.Completions[len(store.Completions)-1].Response
			again, err := svc.Resolve(context.Background(), admin, transferID, "k-1", transfer.ResolveInput{Action: tt.action, Reason: "test"})
			require.NoError(t, err)
			assert.True(t, again.Replayed)
			assert.Len(t, store.changes, before+1, "a replay writes nothing")
			assert.Equal(t, 1, strings.Count(emf.String(), `"ReviewCasesResolved":1`), "a replay counts nothing")
		})
	}
}

func TestResolveRefusals(t *testing.T) {
	user := op.Caller{UserID: ownerA, Role: auth.RoleUser}
	tests := []struct {
		name   string
		caller op.Caller
		in     transfer.ResolveInput
		status transfer.Status
		want   string
	}{
		{"a user", user, transfer.ResolveInput{Action: "retry", Reason: "x"}, transfer.StatusNeedsReview, "forbidden"},
		{"an unknown action", admin, transfer.ResolveInput{Action: "undo", Reason: "x"}, transfer.StatusNeedsReview, "invalid_action"},
		{"no reason", admin, transfer.ResolveInput{Action: "retry"}, transfer.StatusNeedsReview, "invalid_reason"},
		{"not in review", admin, transfer.ResolveInput{Action: "retry", Reason: "x"}, transfer.StatusCompleted, "transfer_not_in_review"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, store, _ := inReview(t, reserve)
			tr := store.StoredTransfer(transferID)
			tr.Status = tt.status
			store.PutTransfer(tr)
			_, err := svc.Resolve(context.Background(), tt.caller, transferID, "k-2", tt.in)
			p, ok := problem.As(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tt.want, p.Code)
			assert.Empty(t, store.changes)
		})
	}
}

func TestRecordCaseOnce(t *testing.T) {
	svc, store, emf := inReview(t, reserve)
	msg := transfer.ReviewMessage{TransferID: transferID, Phase: "start",
		Error: &transfer.CaughtError{Error: "Transient", Cause: `{"errorMessage":"injected"}`}}
	require.NoError(t, svc.RecordCase(context.Background(), msg))
	require.NoError(t, svc.RecordCase(context.Background(), msg), "a redelivered message")
	require.Len(t, store.changes, 1, "one case")
	c := store.changes[0].Case
	require.NotNil(t, c)
	assert.Equal(t, "Transient", c.Error)
	assert.False(t, store.StoredTransfer(transferID).ReviewOpenedAt.IsZero())
	assert.Equal(t, 1, strings.Count(emf.String(), `"ReviewCasesOpened":1`))

	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(emf.String(), "\n", 2)[0]), &line))
	assert.Equal(t, transferID, line["transfer_id"], "the metric line names the transfer")

	tr := store.StoredTransfer(transferID)
	tr.Status = transfer.StatusPending
	store.PutTransfer(tr)
	assert.Error(t, svc.RecordCase(context.Background(), msg), "a message before its transfer is marked comes back later")
}

// TestEmittedMetricsAreInTheCatalog runs what emits the transfer metrics (a saga to
// each outcome, a void, the breaker opening, a review case and its resolution) and
// checks that every line names a catalog metric with exactly its dimension keys: the
// dashboard and alarms are held to the same catalog (internal/contract).
func TestEmittedMetricsAreInTheCatalog(t *testing.T) {
	var emf bytes.Buffer
	m := &metrics.Emitter{Namespace: "Wallet/test", Out: &emf}

	steps, _, bs := newSteps(t, 100, transfer.ModeImmediate)
	steps.Metrics, steps.Breaker.Metrics = m, m
	_, err := reserve(steps)
	require.NoError(t, err)
	_, err = post(steps)
	require.NoError(t, err)
	for range 5 { // FailuresMax technical failures open the breaker
		require.NoError(t, steps.Breaker.Record(context.Background(), transfer.Outcome{}))
	}
	assert.Equal(t, transfer.BreakerOpen, bs.state().State)

	svc, _, _ := inReview(t, reserve)
	svc.Metrics = m
	require.NoError(t, svc.RecordCase(context.Background(), transfer.ReviewMessage{TransferID: transferID}))
	_, err = svc.Resolve(context.Background(), admin, transferID, "k-3", transfer.ResolveInput{Action: transfer.ActionReverse, Reason: "x"})
	require.NoError(t, err)

	seen := map[metrics.Name]bool{}
	for _, raw := range bytes.Split(bytes.TrimSpace(emf.Bytes()), []byte("\n")) {
		var line struct {
			AWS struct {
				CloudWatchMetrics []struct {
					Dimensions [][]string
					Metrics    []struct{ Name string }
				}
			} `json:"_aws"`
		}
		require.NoError(t, json.Unmarshal(raw, &line), "%s", raw)
		require.Len(t, line.AWS.CloudWatchMetrics, 1)
		d := line.AWS.CloudWatchMetrics[0]
		require.Len(t, d.Metrics, 1)
		name := metrics.Name(d.Metrics[0].Name)
		spec, ok := metrics.Lookup(name)
		require.True(t, ok, "%s is not in the catalog", name)
		require.Len(t, d.Dimensions, 1)
		assert.ElementsMatch(t, spec.Dimensions, d.Dimensions[0], "%s's dimensions", name)
		seen[name] = true
	}
	for _, n := range []metrics.Name{metrics.Transfers, metrics.SagaDuration, metrics.BreakerTransitions, metrics.ReviewCasesOpened, metrics.ReviewCasesResolved} {
		assert.True(t, seen[n], "%s was emitted", n)
	}
}
