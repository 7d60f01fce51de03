package transfer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// An immediate transfer's saga is one step: its post reserves and posts in one
// transaction, so the transfer is COMPLETED by one commit and one posting.
func TestImmediateIsOneStep(t *testing.T) {
	const amount = 2_500
	s, store, _ := newSteps(t, amount, transfer.ModeImmediate)

	out, err := post(s)
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusCompleted, out.Status)

	src, dst := store.StoredWallet(srcID), store.StoredWallet(dstID)
	assert.Equal(t, int64(startMinor-amount), src.BalanceMinor)
	assert.Zero(t, src.HeldMinor, "nothing was held")
	assert.Equal(t, int64(amount), dst.BalanceMinor)
	tr := store.StoredTransfer(transferID)
	assert.True(t, tr.Reserved && tr.Captured && tr.Credited, "placed and posted at once")
	assert.False(t, tr.Released)
	assert.Equal(t, int64(2), tr.Version, "one commit")
	require.Len(t, tr.Steps, 1)
	assert.Equal(t, transfer.StepPost, tr.Steps[0].Name)
	commits, postings := store.Counts()
	assert.Equal(t, 1, commits)
	assert.Equal(t, 1, postings)
	assert.False(t, transfer.HoldFactsOf(tr).Open())
	assertConserved(t, store)

	for _, again := range []stepFn{post, reserve, release} {
		_, err := again(s)
		require.NoError(t, err, "a second execution's steps find it settled")
	}
	assert.Equal(t, tr, store.StoredTransfer(transferID))
	assert.Equal(t, src, store.StoredWallet(srcID))
}

// A refused one-step post changes nothing: there is nothing to undo.
func TestOneStepRefusals(t *testing.T) {
	set := func(id string, change func(*ledger.Wallet)) func(*memstore.Store) {
		return func(store *memstore.Store) {
			w := store.StoredWallet(id)
			change(&w)
			store.PutWallet(w)
		}
	}
	tests := map[string]struct {
		amount   int64
		setup    func(*memstore.Store)
		wantCode string
	}{
		"beyond the balance":           {amount: startMinor + 1, wantCode: "insufficient_funds"},
		"beyond what is available":     {amount: 600, setup: set(srcID, func(w *ledger.Wallet) { w.HeldMinor = startMinor - 500 }), wantCode: "insufficient_funds"},
		"all that is available":        {amount: 500, setup: set(srcID, func(w *ledger.Wallet) { w.HeldMinor = startMinor - 500 })},
		"from a frozen source":         {amount: 100, setup: set(srcID, func(w *ledger.Wallet) { w.Status = ledger.StatusFrozen }), wantCode: "wallet_not_active"},
		"to a frozen destination":      {amount: 100, setup: set(dstID, func(w *ledger.Wallet) { w.Status = ledger.StatusFrozen }), wantCode: "wallet_not_active"},
		"to a closed destination":      {amount: 100, setup: set(dstID, func(w *ledger.Wallet) { w.Status = ledger.StatusClosed }), wantCode: "wallet_not_active"},
		"to a wallet in another money": {amount: 100, setup: set(dstID, func(w *ledger.Wallet) { w.Currency = "EUR" }), wantCode: "currency_mismatch"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, store, _ := newSteps(t, tt.amount, transfer.ModeImmediate)
			if tt.setup != nil {
				tt.setup(store)
			}
			srcBefore, dstBefore, trBefore := store.StoredWallet(srcID), store.StoredWallet(dstID), store.StoredTransfer(transferID)
			_, err := post(s)
			if tt.wantCode == "" {
				require.NoError(t, err)
				assert.Equal(t, transfer.StatusCompleted, store.StoredTransfer(transferID).Status)
				assert.Zero(t, store.StoredWallet(srcID).AvailableMinor(), "spent to the last unit")
				return
			}
			var refusal *transfer.BusinessRefusal
			require.ErrorAs(t, err, &refusal)
			assert.Equal(t, tt.wantCode, refusal.Code)
			commits, postings := store.Counts()
			assert.Zero(t, commits)
			assert.Zero(t, postings)
			assert.Equal(t, srcBefore, store.StoredWallet(srcID))
			assert.Equal(t, dstBefore, store.StoredWallet(dstID))
			assert.Equal(t, trBefore, store.StoredTransfer(transferID))
		})
	}
}
