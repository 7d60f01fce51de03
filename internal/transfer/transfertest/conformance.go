// Package transfertest is the conformance suite of transfer.Store: the in-memory fake
// the unit tests use (internal/memstore) and the DynamoDB store on the local engine run
// the same cases, so the fake cannot drift from the real thing on the rules the saga
// relies on (a transfer created once, changes conditional on its version, money moved
// only under the wallet rules, a posting written once).
package transfertest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// FundedMinor is the source wallet's balance in every fixture.
const FundedMinor = 10_000

// Fixture is a store with two ACTIVE USD wallets: Source holds FundedMinor, Destination
// nothing.
type Fixture struct {
	Store               transfer.Store
	Source, Destination ledger.Wallet
}

// Run runs every case, each on a fixture of its own from newFixture.
func Run(t *testing.T, newFixture func(t *testing.T) Fixture) {
	cases := map[string]func(t *testing.T, f Fixture){
		"a transfer is created once per id":                     createdOnce,
		"a reserve within the available amount holds it":        reserveHolds,
		"a reserve beyond the available amount changes nothing": reserveRefused,
		"a change decided on a stale version changes nothing":   staleVersion,
		"a post moves the hold to the destination, once":        postOnce,
		"saga steps run twice and interleaved move money once":  twiceRun,
		"holds and releases decided on stale reads":             staleHolds,
		"refunds never total more than the refunded transfer":   refundsBounded,
	}
	conformance.Run(t, cases, newFixture)
}

func pending(f Fixture, amount int64) transfer.Transfer {
	return transfer.Transfer{ID: transfer.IDFor(f.Source.OwnerID, "conformance"), SourceWalletID: f.Source.ID,
		DestinationWalletID: f.Destination.ID, SourceOwnerID: f.Source.OwnerID, DestinationOwnerID: f.Destination.OwnerID,
		AmountMinor: amount, CaptureMinor: amount, Currency: f.Source.Currency, Mode: transfer.ModeImmediate,
		Status: transfer.StatusPending, CreatedAt: conformance.At, UpdatedAt: conformance.At, Version: 1, RequestHash: "00112233445566778899aabbccddeeff"}
}

func wallet(t *testing.T, s transfer.Store, id string) ledger.Wallet {
	t.Helper()
	w, err := s.Wallet(context.Background(), id)
	require.NoError(t, err)
	return w
}

// reserve commits the hold of tr's amount, from the wallet as read now.
func reserve(t *testing.T, f Fixture, tr transfer.Transfer) (transfer.Transfer, error) {
	t.Helper()
	d, err := ledger.Hold(wallet(t, f.Store, f.Source.ID), tr.AmountMinor, conformance.At)
	require.NoError(t, err)
	after := tr
	after.Reserved, after.Version = true, tr.Version+1
	return after, f.Store.CommitTransfer(context.Background(), transfer.Change{Deltas: []ledger.Delta{d}, Before: &tr, After: after})
}

func createdOnce(t *testing.T, f Fixture) {
	ctx := context.Background()
	tr := pending(f, 500)
	require.NoError(t, f.Store.CreateTransfer(ctx, tr))
	require.NoError(t, f.Store.CreateTransfer(ctx, tr), "the same write sent twice (its first answer lost) creates it once")
	again := tr
	again.AmountMinor, again.RequestHash = 900, "ffeeddccbbaa99887766554433221100"
	require.ErrorIs(t, f.Store.CreateTransfer(ctx, again), transfer.ErrExists, "another request's transfer under the id")
	got, err := f.Store.Transfer(ctx, tr.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(500), got.AmountMinor, "the first write stands")
	assert.Equal(t, tr.RequestHash, got.RequestHash)
	assert.Equal(t, transfer.StatusPending, got.Status)
}

func reserveHolds(t *testing.T, f Fixture) {
	tr := pending(f, 700)
	require.NoError(t, f.Store.CreateTransfer(context.Background(), tr))
	after, err := reserve(t, f, tr)
	require.NoError(t, err)
	w := wallet(t, f.Store, f.Source.ID)
	assert.Equal(t, int64(FundedMinor), w.BalanceMinor)
	assert.Equal(t, int64(700), w.HeldMinor)
	got, err := f.Store.Transfer(context.Background(), tr.ID)
	require.NoError(t, err)
	assert.True(t, got.Reserved)
	assert.Equal(t, after.Version, got.Version)
}

func reserveRefused(t *testing.T, f Fixture) {
	tr := pending(f, 600)
	require.NoError(t, f.Store.CreateTransfer(context.Background(), tr))
	// Decided on a stale read that saw more money than there is: the store's own
	// condition must refuse it.
	rich := wallet(t, f.Store, f.Source.ID)
	rich.BalanceMinor = 1 << 40
	d, err := ledger.Hold(rich, FundedMinor+1, conformance.At)
	require.NoError(t, err)
	after := tr
	after.Reserved, after.Version = true, 2
	err = f.Store.CommitTransfer(context.Background(), transfer.Change{Deltas: []ledger.Delta{d}, Before: &tr, After: after})
	require.ErrorIs(t, err, ledger.ErrInsufficientFunds)
	w := wallet(t, f.Store, f.Source.ID)
	assert.Zero(t, w.HeldMinor)
	got, err := f.Store.Transfer(context.Background(), tr.ID)
	require.NoError(t, err)
	assert.False(t, got.Reserved)
	assert.Equal(t, int64(1), got.Version)
}

func staleVersion(t *testing.T, f Fixture) {
	tr := pending(f, 300)
	require.NoError(t, f.Store.CreateTransfer(context.Background(), tr))
	stale := tr
	stale.Version = 7
	_, err := reserve(t, f, stale)
	require.True(t, errors.Is(err, retry.ErrConflict), "got %v", err)
	assert.Zero(t, wallet(t, f.Store, f.Source.ID).HeldMinor)
}

func postOnce(t *testing.T, f Fixture) {
	ctx := context.Background()
	tr := pending(f, 1_200)
	require.NoError(t, f.Store.CreateTransfer(ctx, tr))
	reserved, err := reserve(t, f, tr)
	require.NoError(t, err)
	ds, p, err := ledger.Post(wallet(t, f.Store, f.Source.ID), wallet(t, f.Store, f.Destination.ID), ledger.PostInput{
		PostingID: tr.ID + "-post", CaptureMinor: 1_000, HoldMinor: 1_200, Kind: ledger.KindTransfer, Now: conformance.At})
	require.NoError(t, err)
	post := func(before transfer.Transfer) error {
		after := before
		after.Captured, after.Status, after.Version = true, transfer.StatusCompleted, before.Version+1
		return f.Store.CommitTransfer(ctx, transfer.Change{Deltas: ds, Posting: &p, Before: &before, After: after})
	}
	require.NoError(t, post(reserved))
	src, dst := wallet(t, f.Store, f.Source.ID), wallet(t, f.Store, f.Destination.ID)
	assert.Equal(t, int64(FundedMinor-1_000), src.BalanceMinor, "the captured part left the source")
	assert.Zero(t, src.HeldMinor, "the whole hold was released")
	assert.Equal(t, int64(1_000), dst.BalanceMinor)

	// The same decision sent again on the transfer's current version (a step retried
	// after its commit landed): the store refuses it whole.
	done, err := f.Store.Transfer(ctx, tr.ID)
	require.NoError(t, err)
	assert.Error(t, post(done), "the same posting twice")
	src, dst = wallet(t, f.Store, f.Source.ID), wallet(t, f.Store, f.Destination.ID)
	assert.Equal(t, int64(FundedMinor-1_000), src.BalanceMinor)
	assert.Equal(t, int64(1_000), dst.BalanceMinor)
	again, err := f.Store.Transfer(ctx, tr.ID)
	require.NoError(t, err)
	assert.Equal(t, done.Version, again.Version)
}

// staleHolds: the store's own conditions hold the hold rules against decisions taken on
// reads that are stale by the time they are written: a hold needs the available amount
// (not the balance: holds count), exactly the available amount may be held, and a
// release needs that much held.
func staleHolds(t *testing.T, f Fixture) {
	ctx := context.Background()
	n := 0
	commitHold := func(w ledger.Wallet, amount int64, release bool) error {
		n++
		tr := pending(f, amount)
		tr.ID = transfer.IDFor(f.Source.OwnerID, fmt.Sprintf("stale-%d", n))
		require.NoError(t, f.Store.CreateTransfer(ctx, tr))
		d, err := ledger.Hold(w, amount, conformance.At)
		if release {
			d, err = ledger.Release(w, amount, conformance.At)
		}
		require.NoError(t, err, "allowed on the read it was decided on")
		after := tr
		after.Reserved, after.Version = true, tr.Version+1
		return f.Store.CommitTransfer(ctx, transfer.Change{Deltas: []ledger.Delta{d}, Before: &tr, After: after})
	}
	fresh := wallet(t, f.Store, f.Source.ID)
	require.NoError(t, commitHold(fresh, 6_000, false))
	err := commitHold(fresh, 5_000, false) // the balance still covers it, the available amount does not
	require.ErrorIs(t, err, ledger.ErrInsufficientFunds)
	require.NoError(t, commitHold(wallet(t, f.Store, f.Source.ID), FundedMinor-6_000, false), "exactly what is available")
	held := wallet(t, f.Store, f.Source.ID)
	assert.Equal(t, int64(FundedMinor), held.HeldMinor)
	assert.Zero(t, held.AvailableMinor())

	require.NoError(t, commitHold(held, FundedMinor, true)) // give it all back
	err = commitHold(held, FundedMinor, true)               // and again, decided on the same read
	require.ErrorIs(t, err, ledger.ErrHoldMissing)
	w := wallet(t, f.Store, f.Source.ID)
	assert.Zero(t, w.HeldMinor, "released once")
	assert.Equal(t, int64(FundedMinor), w.BalanceMinor)
}
