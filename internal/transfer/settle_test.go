package transfer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// heldTransfer stores a HELD transfer of amount with its hold on the source.
func heldTransfer(e *serviceEnv, id string, amount int64, expiresAt time.Time) {
	tr := pendingTransfer(amount, transfer.ModeHold)
	tr.ID, tr.Status, tr.Reserved, tr.ExpiresAt = id, transfer.StatusHeld, true, expiresAt
	e.store.PutTransfer(tr)
	w := e.store.StoredWallet(srcID)
	w.HeldMinor += amount
	w.Version++
	e.store.PutWallet(w)
}

func TestVoidReleasesTheHold(t *testing.T) {
	e := newServiceEnv(t)
	heldTransfer(e, transferID, 800, e.clock.Now().Add(time.Hour))

	res, err := e.svc.Void(context.Background(), callerA, transferID, idemKey)
	require.NoError(t, err)
	assert.Equal(t, op.Done, res.Outcome)
	assert.Equal(t, transfer.StatusReleased, decodeView(t, res.Body).Status)

	src := e.store.StoredWallet(srcID)
	assert.Zero(t, src.HeldMinor)
	assert.Equal(t, int64(startMinor), src.BalanceMinor)
	tr := e.store.StoredTransfer(transferID)
	assert.Equal(t, transfer.StatusReleased, tr.Status)
	assert.True(t, tr.Released)
	assert.Equal(t, int64(2), tr.Version)
	begun, released := idemCounts(e.idem)
	assert.Equal(t, 1, begun)
	assert.Zero(t, released)
	require.Len(t, e.store.Completions, 1, "the key is completed in the same commit")
	assert.Equal(t, e.idem.Begun()[0].Token, e.store.Completions[0].Claim.Token)
	assert.Empty(t, e.runner.calls())
	_, postings := e.store.Counts()
	assert.Zero(t, postings, "a void moves no money")
}

// A void that read the transfer as HELD, while a racing void committed before its wallet
// read, loses cleanly with transfer_not_held (not an internal error), and changes nothing.
func TestVoidLosingARaceIsNotHeld(t *testing.T) {
	e := newServiceEnv(t)
	heldTransfer(e, transferID, 800, e.clock.Now().Add(time.Hour))
	e.store.OnWalletRead = func(s *memstore.Store) { // the racer's void: hold released, transfer RELEASED
		w := s.Wallets[srcID]
		w.HeldMinor -= 800
		w.Version++
		s.Wallets[srcID] = w
		tr := s.Transfers[transferID]
		tr.Status, tr.Released, tr.Version = transfer.StatusReleased, true, tr.Version+1
		s.Transfers[transferID] = tr
	}

	_, err := e.svc.Void(context.Background(), callerA, transferID, idemKey)
	assert.ErrorIs(t, err, transfer.ErrNotHeld)
	assert.Zero(t, e.store.StoredWallet(srcID).HeldMinor, "released once")
	assert.Equal(t, int64(startMinor), e.store.StoredWallet(srcID).BalanceMinor)
	_, released := idemCounts(e.idem)
	assert.Equal(t, 1, released, "the loser's key is free again")
}

func TestVoidByTheReceiverIsNotFound(t *testing.T) {
	e := newServiceEnv(t)
	heldTransfer(e, transferID, 800, e.clock.Now().Add(time.Hour))

	_, err := e.svc.Void(context.Background(), op.Caller{UserID: ownerB}, transferID, idemKey)
	assert.ErrorIs(t, err, problem.ErrNotFound)
	assert.Equal(t, transfer.StatusHeld, e.store.StoredTransfer(transferID).Status)
	begun, released := idemCounts(e.idem)
	assert.Equal(t, begun, released, "the receiver's key is free again")
}

func TestSettleRefusals(t *testing.T) {
	over := money.Minor(801)
	zero := money.Minor(0)
	tests := map[string]struct {
		status   transfer.Status
		settle   func(e *serviceEnv) error
		wantCode string
	}{
		"capture a completed transfer": {status: transfer.StatusCompleted, wantCode: "transfer_not_held",
			settle: func(e *serviceEnv) error {
				_, err := e.svc.Capture(context.Background(), callerA, transferID, idemKey, transfer.CaptureInput{})
				return err
			}},
		"capture a released transfer": {status: transfer.StatusReleased, wantCode: "transfer_not_held",
			settle: func(e *serviceEnv) error {
				_, err := e.svc.Capture(context.Background(), callerA, transferID, idemKey, transfer.CaptureInput{})
				return err
			}},
		"capture a transfer already capturing": {status: transfer.StatusCapturing, wantCode: "transfer_not_held",
			settle: func(e *serviceEnv) error {
				_, err := e.svc.Capture(context.Background(), callerA, transferID, idemKey, transfer.CaptureInput{})
				return err
			}},
		"void a pending transfer": {status: transfer.StatusPending, wantCode: "transfer_not_held",
			settle: func(e *serviceEnv) error {
				_, err := e.svc.Void(context.Background(), callerA, transferID, idemKey)
				return err
			}},
		"capture more than held": {status: transfer.StatusHeld, wantCode: "invalid_capture_amount",
			settle: func(e *serviceEnv) error {
				_, err := e.svc.Capture(context.Background(), callerA, transferID, idemKey, transfer.CaptureInput{Amount: &over})
				return err
			}},
		"capture zero": {status: transfer.StatusHeld, wantCode: "invalid_capture_amount",
			settle: func(e *serviceEnv) error {
				_, err := e.svc.Capture(context.Background(), callerA, transferID, idemKey, transfer.CaptureInput{Amount: &zero})
				return err
			}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newServiceEnv(t)
			heldTransfer(e, transferID, 800, e.clock.Now().Add(time.Hour))
			tr := e.store.StoredTransfer(transferID)
			tr.Status = tt.status
			e.store.PutTransfer(tr)

			err := tt.settle(e)
			p, ok := problem.As(err)
			require.True(t, ok, "err = %v", err)
			assert.Equal(t, tt.wantCode, p.Code)
			assert.Equal(t, problem.KindUnprocessable, p.Kind)

			begun, released := idemCounts(e.idem)
			require.Equal(t, 1, begun)
			require.Equal(t, 1, released, "a refused settle frees its key")
			assert.Equal(t, e.idem.Begun()[0], e.idem.Released()[0])
			commits, _ := e.store.Counts()
			assert.Zero(t, commits)
			assert.Equal(t, tr, e.store.StoredTransfer(transferID))
			assert.Empty(t, e.runner.calls())
		})
	}
}

func TestCapturePartial(t *testing.T) {
	e := newServiceEnv(t)
	e.runner.steps = e.steps
	heldTransfer(e, transferID, 800, e.clock.Now().Add(time.Hour))
	amount := money.Minor(300)

	res, err := e.svc.Capture(context.Background(), callerA, transferID, idemKey, transfer.CaptureInput{Amount: &amount})
	require.NoError(t, err)
	assert.Equal(t, op.Done, res.Outcome)
	v := decodeView(t, res.Body)
	assert.Equal(t, transfer.StatusCompleted, v.Status)
	require.NotNil(t, v.CapturedAmount)
	assert.Equal(t, int64(300), *v.CapturedAmount)
	assert.Equal(t, int64(800), v.Amount)

	calls := e.runner.calls()
	require.Len(t, calls, 1)
	assert.Equal(t, transfer.SagaInput{TransferID: transferID, Phase: transfer.PhaseSettle, Mode: transfer.ModeHold}, calls[0])
	src, dst := e.store.StoredWallet(srcID), e.store.StoredWallet(dstID)
	assert.Equal(t, int64(startMinor-300), src.BalanceMinor)
	assert.Zero(t, src.HeldMinor)
	assert.Equal(t, int64(300), dst.BalanceMinor)
	assertConserved(t, e.store)
}

// TestSettleAfterExpiry: a capture or void at or after expires_at releases the hold as
// expired, exactly once, and answers hold_expired; the sweeper then finds nothing.
func TestSettleAfterExpiry(t *testing.T) {
	settle := map[string]func(e *serviceEnv, key string) error{
		"capture": func(e *serviceEnv, key string) error {
			_, err := e.svc.Capture(context.Background(), callerA, transferID, key, transfer.CaptureInput{})
			return err
		},
		"void": func(e *serviceEnv, key string) error {
			_, err := e.svc.Void(context.Background(), callerA, transferID, key)
			return err
		},
	}
	for name, op := range settle {
		t.Run(name, func(t *testing.T) {
			e := newServiceEnv(t)
			heldTransfer(e, transferID, 700, e.clock.Now()) // expires right now
			e.store.Expired = []string{transferID}

			assert.ErrorIs(t, op(e, "k-1"), transfer.ErrHoldExpired)
			tr := e.store.StoredTransfer(transferID)
			assert.Equal(t, transfer.StatusReleased, tr.Status)
			assert.Equal(t, transfer.ReasonExpired, tr.FailureReason)
			assert.Zero(t, e.store.StoredWallet(srcID).HeldMinor)
			assert.Zero(t, e.store.StoredWallet(dstID).BalanceMinor, "nothing was captured")
			_, released := idemCounts(e.idem)
			assert.Equal(t, 1, released, "a refused settle frees its key")

			assert.ErrorIs(t, op(e, "k-2"), transfer.ErrHoldExpired, "a second try answers the same")
			n, err := e.svc.ExpireHolds(context.Background())
			require.NoError(t, err)
			assert.Zero(t, n, "released once")
			assert.Empty(t, e.runner.calls(), "no saga ran")
		})
	}
}

// TestCaptureRefusedWhileAWalletIsFrozen: the capture answers wallet_not_active and the
// hold stays HELD for a void or its expiry.
func TestCaptureRefusedWhileAWalletIsFrozen(t *testing.T) {
	for _, side := range []string{srcID, dstID} {
		t.Run(side, func(t *testing.T) {
			e := newServiceEnv(t)
			heldTransfer(e, transferID, 700, e.clock.Now().Add(time.Hour))
			w := e.store.StoredWallet(side)
			w.Status = ledger.StatusFrozen
			e.store.PutWallet(w)

			_, err := e.svc.Capture(context.Background(), callerA, transferID, idemKey, transfer.CaptureInput{})
			assert.ErrorIs(t, err, ledger.ErrWalletNotActive)
			assert.Equal(t, transfer.StatusHeld, e.store.StoredTransfer(transferID).Status)
			assert.Equal(t, int64(700), e.store.StoredWallet(srcID).HeldMinor)
			assert.Empty(t, e.runner.calls())
		})
	}
}
