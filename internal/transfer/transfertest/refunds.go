package transfertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// completed runs a payment of amount from Source to Destination through the saga's
// steps and returns it COMPLETED.
func completed(t *testing.T, f Fixture, steps *transfer.Steps, key string, amount int64) transfer.Transfer {
	t.Helper()
	ctx := context.Background()
	tr := pending(f, amount)
	tr.ID = transfer.IDFor(f.Source.OwnerID, key)
	require.NoError(t, f.Store.CreateTransfer(ctx, tr))
	_, err := steps.Reserve(ctx, transfer.StepInput{TransferID: tr.ID})
	require.NoError(t, err)
	out, err := steps.Post(ctx, transfer.StepInput{TransferID: tr.ID})
	require.NoError(t, err)
	require.Equal(t, transfer.StatusCompleted, out.Status)
	got, err := f.Store.Transfer(ctx, tr.ID)
	require.NoError(t, err)
	return got
}

// refundOf is a PENDING refund of amount of orig, from its payee back to its payer.
func refundOf(orig transfer.Transfer, key string, amount int64) transfer.Transfer {
	return transfer.Transfer{ID: transfer.IDFor(orig.DestinationOwnerID, key), SourceWalletID: orig.DestinationWalletID,
		DestinationWalletID: orig.SourceWalletID, SourceOwnerID: orig.DestinationOwnerID, DestinationOwnerID: orig.SourceOwnerID,
		AmountMinor: amount, CaptureMinor: amount, Currency: orig.Currency, Mode: transfer.ModeImmediate, Status: transfer.StatusPending,
		CreatedAt: conformance.At, UpdatedAt: conformance.At, Version: 1, RequestHash: "0123456789abcdef0123456789abcdef", RefundOf: orig.ID}
}

// refundsBounded: two refunds that both reserved (the payee can cover both) race to
// post; the store's condition on the refunded transfer lets exactly the first one count,
// the second is refused (refund_exceeds_amount) and its compensation gives its hold
// back. A refund's post run again counts it once; a refund of a refund is refused.
func refundsBounded(t *testing.T, f Fixture) {
	ctx := context.Background()
	steps := &transfer.Steps{Store: f.Store}
	orig := completed(t, f, steps, "paid", 1_000)
	completed(t, f, steps, "paid-more", 1_000) // the payee holds 2,000: enough to reserve both refunds
	first, second := refundOf(orig, "refund-1", 600), refundOf(orig, "refund-2", 600)
	for _, r := range []transfer.Transfer{first, second} {
		require.NoError(t, f.Store.CreateTransfer(ctx, r))
		_, err := steps.Reserve(ctx, transfer.StepInput{TransferID: r.ID})
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1_200), wallet(t, f.Store, f.Destination.ID).HeldMinor)

	out, err := steps.Post(ctx, transfer.StepInput{TransferID: first.ID})
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusCompleted, out.Status)
	_, err = steps.Post(ctx, transfer.StepInput{TransferID: first.ID})
	require.NoError(t, err, "the post run again finds its work done")

	_, err = steps.Post(ctx, transfer.StepInput{TransferID: second.ID})
	var refusal *transfer.BusinessRefusal
	require.ErrorAs(t, err, &refusal)
	assert.Equal(t, "refund_exceeds_amount", refusal.Code)
	_, err = steps.Release(ctx, transfer.CompensateInput{TransferID: second.ID, Phase: transfer.PhaseStart,
		Error: &transfer.CaughtError{Error: "BusinessRefusal", Cause: `{"errorMessage":"refund_exceeds_amount"}`}})
	require.NoError(t, err)

	got, err := f.Store.Transfer(ctx, orig.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(600), got.RefundedMinor)
	assert.Equal(t, []string{first.ID}, got.RefundIDs)
	assert.Equal(t, transfer.StatusCompleted, got.Status)
	failed, err := f.Store.Transfer(ctx, second.ID)
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusFailed, failed.Status)
	assert.Equal(t, "refund_exceeds_amount", failed.FailureReason)
	dst := wallet(t, f.Store, f.Destination.ID)
	assert.Equal(t, int64(1_400), dst.BalanceMinor, "paid 2,000, refunded 600")
	assert.Equal(t, int64(0), dst.HeldMinor, "the refused refund's hold was given back")
	assert.Equal(t, int64(FundedMinor-2_000+600), wallet(t, f.Store, f.Source.ID).BalanceMinor)

	// The rest (400) can still be refunded; a refund of the refund cannot.
	rest := refundOf(orig, "refund-3", 400)
	require.NoError(t, f.Store.CreateTransfer(ctx, rest))
	_, err = steps.Reserve(ctx, transfer.StepInput{TransferID: rest.ID})
	require.NoError(t, err)
	out, err = steps.Post(ctx, transfer.StepInput{TransferID: rest.ID})
	require.NoError(t, err)
	assert.Equal(t, transfer.StatusCompleted, out.Status)
	got, err = f.Store.Transfer(ctx, orig.ID)
	require.NoError(t, err)
	assert.Equal(t, got.CaptureMinor, got.RefundedMinor, "refunded in full")
	assert.Equal(t, []string{first.ID, rest.ID}, got.RefundIDs)

	done, err := f.Store.Transfer(ctx, first.ID)
	require.NoError(t, err)
	claim := transfer.RefundClaim{TransferID: done.ID, RefundID: "x", AmountMinor: 1, CaptureMinor: done.CaptureMinor}
	assert.ErrorIs(t, claim.Refusal(done), transfer.ErrNotRefundable, "a refund is not refundable")
}
