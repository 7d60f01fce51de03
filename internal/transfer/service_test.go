package transfer_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

const (
	frozenID  = "0d000000-0000-4000-8000-000000000004" // ownerB, FROZEN
	eurID     = "0e000000-0000-4000-8000-000000000005" // ownerA, EUR
	othersID  = "0f000000-0000-4000-8000-000000000006" // ownerB, USD
	missingID = "1a000000-0000-4000-8000-000000000007"
	idemKey   = "key-1"
)

var callerA = op.Caller{UserID: ownerA}

type serviceEnv struct {
	svc    *transfer.Service
	steps  *transfer.Steps // for a runner that plays the saga in-process
	store  *memstore.Store
	idem   *idemtest.Store
	runner *runner
	clock  *clock
}

func newServiceEnv(t *testing.T) *serviceEnv {
	t.Helper()
	frozen := usdWallet(frozenID, ownerB, 0)
	frozen.Status = ledger.StatusFrozen
	eur := usdWallet(eurID, ownerA, startMinor)
	eur.Currency = "EUR"
	store := memstore.New(usdWallet(srcID, ownerA, startMinor), usdWallet(dstID, ownerB, 0), frozen, eur, usdWallet(othersID, ownerB, startMinor))
	clk := newClock()
	breaker := &transfer.Breaker{Store: newBreakerStore(), Now: clk.Now,
		Config: transfer.BreakerConfig{FailuresMax: 5, WindowSeconds: 60, CooldownSeconds: 30}}
	e := &serviceEnv{store: store, idem: &idemtest.Store{}, runner: &runner{}, clock: clk,
		steps: &transfer.Steps{Store: store, Now: clk.Now, Breaker: breaker}}
	e.svc = &transfer.Service{Store: store, Idem: e.idem, Saga: e.runner, Breaker: breaker, Now: clk.Now,
		SagaWaitSeconds: 1, Log: slog.New(slog.DiscardHandler)}
	return e
}

func seconds(n int) *int { return &n }

func validCreate() transfer.CreateInput {
	return transfer.CreateInput{SourceWalletID: srcID, DestinationWalletID: dstID, Amount: 1_000, Currency: "USD"}
}

func decodeView(t *testing.T, body []byte) transfer.View {
	t.Helper()
	var v transfer.View
	require.NoError(t, json.Unmarshal(body, &v))
	return v
}

func TestCreateValidation(t *testing.T) {
	tests := map[string]struct {
		edit     func(in *transfer.CreateInput)
		key      string
		wantKind problem.Kind
		wantCode string // empty: accepted
	}{
		"same wallet": {edit: func(in *transfer.CreateInput) { in.DestinationWalletID = srcID },
			wantKind: problem.KindInvalid, wantCode: "same_wallet"},
		"bad mode": {edit: func(in *transfer.CreateInput) { in.Mode = "later" },
			wantKind: problem.KindInvalid, wantCode: "invalid_mode"},
		"hold expiry 59": {edit: func(in *transfer.CreateInput) { in.Mode, in.HoldExpiresInSeconds = transfer.ModeHold, seconds(59) },
			wantKind: problem.KindInvalid, wantCode: "invalid_hold_expiry"},
		"hold expiry 60": {edit: func(in *transfer.CreateInput) { in.Mode, in.HoldExpiresInSeconds = transfer.ModeHold, seconds(60) }},
		"hold expiry 604800": {edit: func(in *transfer.CreateInput) {
			in.Mode, in.HoldExpiresInSeconds = transfer.ModeHold, seconds(604_800)
		}},
		"hold expiry 604801": {edit: func(in *transfer.CreateInput) {
			in.Mode, in.HoldExpiresInSeconds = transfer.ModeHold, seconds(604_801)
		}, wantKind: problem.KindInvalid, wantCode: "invalid_hold_expiry"},
		"hold expiry with immediate mode": {edit: func(in *transfer.CreateInput) {
			in.Mode, in.HoldExpiresInSeconds = transfer.ModeImmediate, seconds(600)
		}, wantKind: problem.KindInvalid, wantCode: "invalid_hold_expiry"},
		"hold expiry without a mode": {edit: func(in *transfer.CreateInput) { in.HoldExpiresInSeconds = seconds(600) },
			wantKind: problem.KindInvalid, wantCode: "invalid_hold_expiry"},
		"zero amount": {edit: func(in *transfer.CreateInput) { in.Amount = 0 },
			wantKind: problem.KindInvalid, wantCode: "invalid_amount"},
		"negative amount": {edit: func(in *transfer.CreateInput) { in.Amount = -1 },
			wantKind: problem.KindInvalid, wantCode: "invalid_amount"},
		"unknown currency": {edit: func(in *transfer.CreateInput) { in.Currency = "usd" },
			wantKind: problem.KindInvalid, wantCode: "invalid_currency"},
		"currency mismatch": {edit: func(in *transfer.CreateInput) { in.Currency = "EUR" },
			wantKind: problem.KindUnprocessable, wantCode: "currency_mismatch"},
		"source in another currency": {edit: func(in *transfer.CreateInput) { in.SourceWalletID = eurID },
			wantKind: problem.KindUnprocessable, wantCode: "currency_mismatch"},
		"source not owned": {edit: func(in *transfer.CreateInput) { in.SourceWalletID = othersID },
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"source missing": {edit: func(in *transfer.CreateInput) { in.SourceWalletID = missingID },
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"source malformed": {edit: func(in *transfer.CreateInput) { in.SourceWalletID = "../" + srcID },
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"destination missing": {edit: func(in *transfer.CreateInput) { in.DestinationWalletID = missingID },
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"destination frozen": {edit: func(in *transfer.CreateInput) { in.DestinationWalletID = frozenID },
			wantKind: problem.KindUnprocessable, wantCode: "wallet_not_active"},
		"destination missing field": {edit: func(in *transfer.CreateInput) { in.DestinationWalletID = "" },
			wantKind: problem.KindInvalid, wantCode: "missing_field"},
		"description too long": {edit: func(in *transfer.CreateInput) { in.Description = string(make([]rune, 141)) },
			wantKind: problem.KindInvalid, wantCode: "invalid_description"},
		"no idempotency key":       {key: "-", wantKind: problem.KindInvalid, wantCode: "idempotency_key_required"},
		"to another user's wallet": {edit: func(in *transfer.CreateInput) { in.DestinationWalletID = othersID }},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newServiceEnv(t)
			in := validCreate()
			if tt.edit != nil {
				tt.edit(&in)
			}
			key := idemKey
			if tt.key == "-" {
				key = ""
			}

			res, err := e.svc.Create(context.Background(), callerA, key, in)
			if tt.wantCode != "" {
				p, ok := problem.As(err)
				require.True(t, ok, "err = %v", err)
				assert.Equal(t, tt.wantCode, p.Code)
				assert.Equal(t, tt.wantKind, p.Kind)
				begun, released := idemCounts(e.idem)
				if key == "" {
					assert.Zero(t, begun, "no key, no claim")
				} else {
					assert.Equal(t, begun, released, "a refused request frees its key (claimed first, so that a completed key replays first)")
				}
				assert.Empty(t, e.runner.calls(), "refused input starts no saga")
				commits, _ := e.store.Counts()
				assert.Zero(t, commits)
				return
			}
			require.NoError(t, err)
			begun, _ := idemCounts(e.idem)
			assert.Equal(t, 1, begun)
			require.Len(t, e.runner.calls(), 1)
			assert.Equal(t, op.Accepted, res.Outcome, "the fake saga did nothing, so it is still pending")
			v := decodeView(t, res.Body)
			stored := e.store.StoredTransfer(v.ID)
			assert.Equal(t, transfer.StatusPending, stored.Status)
			assert.Equal(t, int64(in.Amount), stored.AmountMinor)
			if in.HoldExpiresInSeconds != nil {
				assert.Equal(t, e.clock.Now().Add(time.Duration(*in.HoldExpiresInSeconds)*time.Second), stored.ExpiresAt)
			} else {
				assert.True(t, stored.ExpiresAt.IsZero(), "an immediate transfer does not expire")
			}
		})
	}
}

func TestCreateRunsTheSaga(t *testing.T) {
	tests := map[string]struct {
		amount       money.Minor
		mode         string
		wantOutcome  op.Outcome // empty: refused
		wantTransfer transfer.Status
		wantSrc      int64 // balance
		wantSrcHeld  int64
		wantDst      int64
		wantCode     string // the refusal's code
	}{
		"immediate completes": {amount: 1_000, wantOutcome: op.Created, wantTransfer: transfer.StatusCompleted,
			wantSrc: startMinor - 1_000, wantDst: 1_000},
		"hold stops at HELD": {amount: 1_000, mode: transfer.ModeHold, wantOutcome: op.Created, wantTransfer: transfer.StatusHeld,
			wantSrc: startMinor, wantSrcHeld: 1_000},
		"insufficient funds fails": {amount: startMinor + 1, wantTransfer: transfer.StatusFailed,
			wantSrc: startMinor, wantCode: "insufficient_funds"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newServiceEnv(t)
			e.runner.steps = e.steps
			in := validCreate()
			in.Amount, in.Mode = tt.amount, tt.mode

			res, err := e.svc.Create(context.Background(), callerA, idemKey, in)
			require.NoError(t, err)
			assert.Equal(t, tt.wantOutcome, res.Outcome)
			calls := e.runner.calls()
			require.Len(t, calls, 1)
			assert.Equal(t, transfer.PhaseStart, calls[0].Phase)

			var id string
			if tt.wantCode != "" {
				require.NotNil(t, res.Refusal)
				assert.Equal(t, problem.KindUnprocessable, res.Refusal.Kind)
				assert.Equal(t, tt.wantCode, res.Refusal.Code)
				id, _ = res.Refusal.Details["transfer_id"].(string)
				assert.Equal(t, transfer.StatusFailed, res.Refusal.Details["transfer"].(transfer.View).Status)
			} else {
				assert.Nil(t, res.Refusal)
				v := decodeView(t, res.Body)
				assert.Equal(t, tt.wantTransfer, v.Status)
				id = v.ID
			}
			assert.Equal(t, calls[0].TransferID, id)
			assert.Equal(t, tt.wantTransfer, e.store.StoredTransfer(id).Status)
			src, dst := e.store.StoredWallet(srcID), e.store.StoredWallet(dstID)
			assert.Equal(t, tt.wantSrc, src.BalanceMinor)
			assert.Equal(t, tt.wantSrcHeld, src.HeldMinor)
			assert.Equal(t, tt.wantDst, dst.BalanceMinor)
			_, released := idemCounts(e.idem)
			assert.Zero(t, released, "a created transfer keeps its key, whatever the saga's outcome")
		})
	}
}

func TestCreateAnswers202WhenTheSagaIsSlow(t *testing.T) {
	e := newServiceEnv(t)
	e.runner.block = true

	start := time.Now()
	res, err := e.svc.Create(context.Background(), callerA, idemKey, validCreate())
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "the wait is bounded by SagaWaitSeconds")
	assert.Equal(t, op.Accepted, res.Outcome)
	assert.Equal(t, transfer.StatusPending, decodeView(t, res.Body).Status)
	assert.Len(t, e.runner.calls(), 1)
}

// TestCreateWaitsOnlyWhatItsDeadlineAllows: a request with less time left than
// SagaWaitSeconds (a slow cold start) answers 202 before its deadline.
func TestCreateWaitsOnlyWhatItsDeadlineAllows(t *testing.T) {
	e := newServiceEnv(t)
	e.runner.block = true
	e.svc.SagaWaitSeconds = 60
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	res, err := e.svc.Create(ctx, callerA, idemKey, validCreate())
	require.NoError(t, err)
	assert.NoError(t, ctx.Err(), "answered before the deadline")
	assert.Equal(t, op.Accepted, res.Outcome)
}

func TestCreateReplay(t *testing.T) {
	e := newServiceEnv(t)
	tr := pendingTransfer(1_000, transfer.ModeImmediate)
	tr.Status, tr.Reserved, tr.Credited, tr.Captured = transfer.StatusCompleted, true, true, true
	e.store.PutTransfer(tr)
	body, err := json.Marshal(map[string]string{"transfer_id": transferID})
	require.NoError(t, err)
	e.idem.Replay = &idempotency.Response{Outcome: string(op.Accepted), Body: body}

	res, err := e.svc.Create(context.Background(), callerA, idemKey, validCreate())
	require.NoError(t, err)
	assert.True(t, res.Replayed)
	assert.Equal(t, op.Created, res.Outcome, "a replay renders the transfer's current state")
	assert.Equal(t, transfer.StatusCompleted, decodeView(t, res.Body).Status)
	assert.Empty(t, e.runner.calls(), "a finished transfer's saga is not started again")
	commits, _ := e.store.Counts()
	assert.Zero(t, commits)
}

// TestCreateIsOnceByItsDerivedID: the transfer's id comes from the caller and the key,
// and its own conditional write makes it happen once, whatever the idempotency record
// says: each row is a state a retry can meet.
func TestCreateIsOnceByItsDerivedID(t *testing.T) {
	id := transfer.IDFor(ownerA, idemKey)
	hash, err := idempotency.Hash("transfer", "", validCreate())
	require.NoError(t, err)
	existing := func(requestHash string, status transfer.Status, age time.Duration) func(e *serviceEnv) {
		return func(e *serviceEnv) {
			tr := pendingTransfer(1_000, transfer.ModeImmediate)
			tr.ID, tr.RequestHash, tr.Status = id, requestHash, status
			tr.CreatedAt, tr.UpdatedAt = e.clock.Now().Add(-age), e.clock.Now().Add(-age)
			e.store.PutTransfer(tr)
		}
	}
	tests := map[string]struct {
		beginErr     error
		given        func(e *serviceEnv)
		racer        func(s *memstore.Store) // writes the transfer inside CreateTransfer, first
		wantOutcome  op.Outcome
		wantErr      error
		wantReplayed bool
		wantSaga     bool // the saga was (re)started
		wantIndexed  int  // list-entry writes
		wantReleased int
	}{
		"a new key creates the transfer under its derived id": {
			wantOutcome: op.Accepted, wantSaga: true, wantIndexed: 1},
		"the key's request still runs and has written it: a replay": {
			beginErr: idempotency.ErrInProgress, given: existing(hash[:transfer.RequestHashChars], transfer.StatusPending, 0),
			wantOutcome: op.Accepted, wantReplayed: true},
		"the key's request still runs and has not written it": {
			beginErr: idempotency.ErrInProgress, wantErr: idempotency.ErrInProgress},
		"the claim was taken over, and the transfer exists: a replay, the claim kept": {
			given:       existing(hash[:transfer.RequestHashChars], transfer.StatusCompleted, time.Hour),
			wantOutcome: op.Created, wantReplayed: true},
		"the claim was taken over, the transfer exists, and its payee now refuses it: a replay": {
			given: func(e *serviceEnv) {
				existing(hash[:transfer.RequestHashChars], transfer.StatusCompleted, time.Hour)(e)
				w := e.store.StoredWallet(dstID)
				w.Status = ledger.StatusFrozen
				e.store.PutWallet(w)
			},
			wantOutcome: op.Created, wantReplayed: true},
		"the record expired, and the key created another transfer": {
			given:   existing("0123456789abcdef0123456789abcdef", transfer.StatusCompleted, 48*time.Hour),
			wantErr: idempotency.ErrKeyReused, wantReleased: 1},
		"its creator stopped before the entries and the saga: both again": {
			beginErr: idempotency.ErrInProgress, given: existing(hash[:transfer.RequestHashChars], transfer.StatusPending, time.Minute),
			wantOutcome: op.Accepted, wantReplayed: true, wantSaga: true, wantIndexed: 1},
		"a racer with the key wrote it between the read and the write: a replay": {
			racer: func(s *memstore.Store) {
				tr := pendingTransfer(1_000, transfer.ModeImmediate)
				tr.ID, tr.RequestHash = id, hash[:transfer.RequestHashChars]
				// just now, by its own clock read (a write at the very same millisecond would
				// pass for this request's own; both would start the saga, whose steps run once)
				racedAt := newClock().Now().Add(-time.Millisecond)
				tr.CreatedAt, tr.UpdatedAt = racedAt, racedAt
				s.Transfers[id] = tr
			},
			wantOutcome: op.Accepted, wantReplayed: true},
		"another key of the same body is another transfer": {
			beginErr: nil, given: func(e *serviceEnv) {
				tr := pendingTransfer(1_000, transfer.ModeImmediate)
				tr.ID = transfer.IDFor(ownerA, "other-key")
				e.store.PutTransfer(tr)
			},
			wantOutcome: op.Accepted, wantSaga: true, wantIndexed: 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newServiceEnv(t)
			e.runner.block = true // the saga stays PENDING: the answer is 202
			e.idem.BeginErr = tt.beginErr
			e.store.OnCreate = tt.racer
			if tt.given != nil {
				tt.given(e)
			}

			res, err := e.svc.Create(context.Background(), callerA, idemKey, validCreate())
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.wantOutcome, res.Outcome, "%s", res.Body)
				assert.Equal(t, tt.wantReplayed, res.Replayed)
				assert.Equal(t, id, decodeView(t, res.Body).ID)
			}
			assert.Equal(t, tt.wantSaga, len(e.runner.calls()) == 1, "saga runs: %v", e.runner.calls())
			assert.Equal(t, tt.wantIndexed, e.store.Indexed[id])
			_, released := idemCounts(e.idem)
			assert.Equal(t, tt.wantReleased, released)
			assert.Empty(t, e.store.Completions, "a create does not write its record twice")
		})
	}
}

// TestReplayAfterAnOutageTakesNoProbe: a retry whose transfer exists (its claim taken
// over after the first request stopped) is answered from the transfer before any check
// of a new one: it takes no half-open probe from a breaker past its cooldown, which it
// would never report, shutting every new transfer out until the probe timed out.
func TestReplayAfterAnOutageTakesNoProbe(t *testing.T) {
	e := newServiceEnv(t)
	id := transfer.IDFor(ownerA, idemKey)
	hash, err := idempotency.Hash("transfer", "", validCreate())
	require.NoError(t, err)
	tr := pendingTransfer(1_000, transfer.ModeImmediate)
	tr.ID, tr.RequestHash, tr.Status = id, hash[:transfer.RequestHashChars], transfer.StatusCompleted
	tr.CreatedAt, tr.UpdatedAt = e.clock.Now().Add(-time.Hour), e.clock.Now().Add(-time.Hour)
	e.store.PutTransfer(tr)
	breakers := e.svc.Breaker.Store.(*breakerStore)
	breakers.st = transfer.BreakerState{State: transfer.BreakerOpen, OpenedAt: e.clock.Now().Add(-time.Hour), Version: 1}

	res, err := e.svc.Create(context.Background(), callerA, idemKey, validCreate())
	require.NoError(t, err)
	assert.True(t, res.Replayed)
	assert.Equal(t, transfer.BreakerOpen, breakers.state().State, "the replay took no probe")
}
