package transfer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

func TestExpireHolds(t *testing.T) {
	const (
		expiredID   = "2a000000-0000-4000-8000-000000000001"
		capturedID  = "2b000000-0000-4000-8000-000000000002"
		notYetID    = "2c000000-0000-4000-8000-000000000003"
		expiredID2  = "2d000000-0000-4000-8000-000000000004"
		amount      = 500
		otherAmount = 200
	)
	e := newServiceEnv(t)
	now := e.clock.Now()
	heldTransfer(e, expiredID, amount, now.Add(-time.Minute))
	heldTransfer(e, expiredID2, otherAmount, now.Add(-time.Second))
	heldTransfer(e, notYetID, amount, now.Add(time.Hour))
	heldTransfer(e, capturedID, amount, now.Add(-time.Minute))
	captured := e.store.StoredTransfer(capturedID)
	captured.Status = transfer.StatusCapturing // captured after the index was read
	e.store.PutTransfer(captured)
	// The index names the expired holds, including one that has moved on since.
	e.store.Expired = []string{expiredID, capturedID, expiredID2}

	released, err := e.svc.ExpireHolds(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, released)
	assert.Equal(t, now, e.store.ExpiredAt)
	assert.Positive(t, e.store.ExpiredLimit)

	for _, id := range []string{expiredID, expiredID2} {
		tr := e.store.StoredTransfer(id)
		assert.Equal(t, transfer.StatusReleased, tr.Status, id)
		assert.Equal(t, "expired", tr.FailureReason, id)
		assert.True(t, tr.Released, id)
	}
	assert.Equal(t, transfer.StatusCapturing, e.store.StoredTransfer(capturedID).Status)
	assert.Equal(t, []string{capturedID}, e.store.Forgotten, "the stale index entry of the moved-on transfer is dropped")
	assert.Equal(t, transfer.StatusHeld, e.store.StoredTransfer(notYetID).Status)
	src := e.store.StoredWallet(srcID)
	assert.Equal(t, int64(2*amount), src.HeldMinor, "the holds not expired or already capturing stay")
	assert.Equal(t, int64(startMinor), src.BalanceMinor)
}

func TestExpireHoldsRetriesConflicts(t *testing.T) {
	e := newServiceEnv(t)
	heldTransfer(e, transferID, 500, e.clock.Now().Add(-time.Minute))
	e.store.Expired = []string{transferID}
	e.store.Conflicts = 2

	released, err := e.svc.ExpireHolds(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, released)
	assert.Zero(t, e.store.StoredWallet(srcID).HeldMinor)
}

// TestExpireHoldsDrainsTheBacklog: one sweep releases every expired hold, however many
// pages the index has.
func TestExpireHoldsDrainsTheBacklog(t *testing.T) {
	const holds = 250 // more than two pages
	e := newServiceEnv(t)
	for i := 0; i < holds; i++ {
		id := fmt.Sprintf("3a000000-0000-4000-8000-%012d", i)
		heldTransfer(e, id, 1, e.clock.Now().Add(-time.Minute))
		e.store.Expired = append(e.store.Expired, id)
	}

	released, err := e.svc.ExpireHolds(context.Background())
	require.NoError(t, err)
	assert.Equal(t, holds, released)
	assert.Greater(t, e.store.ExpiredPages, 2)
	assert.Zero(t, e.store.StoredWallet(srcID).HeldMinor)
}

// TestExpireHoldsGoesOnPastAFailure: a hold it cannot release now is reported, and the
// rest are still released.
func TestExpireHoldsGoesOnPastAFailure(t *testing.T) {
	const missing = "3b000000-0000-4000-8000-000000000001"
	e := newServiceEnv(t)
	heldTransfer(e, transferID, 500, e.clock.Now().Add(-time.Minute))
	e.store.Expired = []string{missing, transferID} // an index entry whose transfer cannot be read

	released, err := e.svc.ExpireHolds(context.Background())
	assert.ErrorContains(t, err, missing)
	assert.Equal(t, 1, released)
	assert.Equal(t, transfer.StatusReleased, e.store.StoredTransfer(transferID).Status)
}
