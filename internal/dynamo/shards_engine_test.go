//go:build integration

package dynamo

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// TestAWalletReadAcrossASweepCountsEachCentOnce: a wallet is read as its item, then its
// shards; a sweep that lands between the two reads moved money out of a shard into an
// item already read. The read counts it back on the shard: the sum is exact.
func TestAWalletReadAcrossASweepCountsEachCentOnce(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Ledger{DB: db, Table: table}
	ctx := context.Background()
	payer := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-a", Currency: "USD", BalanceMinor: 10_000,
		Status: ledger.StatusActive, Version: 1, CreatedAt: conformance.At, UpdatedAt: conformance.At}
	merchant := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-b", Currency: "USD", Status: ledger.StatusActive, Version: 1,
		ReceiveShards: 4, CreatedAt: conformance.At, UpdatedAt: conformance.At}
	require.NoError(t, s.CreateWallet(ctx, payer))
	require.NoError(t, s.CreateWallet(ctx, merchant))
	for i, id := range []string{"a-post", "b-post", "c-post", "d-post", "e-post"} {
		src, err := s.Wallet(ctx, payer.ID)
		require.NoError(t, err)
		dst, err := s.Wallet(ctx, merchant.ID)
		require.NoError(t, err)
		ds, p, err := ledger.Post(src, dst, ledger.PostInput{PostingID: id, CaptureMinor: int64(100 * (i + 1)), Kind: "payment", Now: conformance.At})
		require.NoError(t, err)
		require.NoError(t, s.Commit(ctx, wallet.Change{Deltas: ds, Posting: &p}))
	}
	var stale walletItem // the item as a read took it, before the sweep
	require.NoError(t, getItem(ctx, db, table, key(walletPK(merchant.ID), walletSortKey), &stale))
	moved, err := s.SweepShards(ctx, merchant.ID)
	require.NoError(t, err)
	require.EqualValues(t, 1_500, moved)

	across, err := s.withShards(ctx, stale) // the shards, read after the sweep
	require.NoError(t, err)
	assert.EqualValues(t, 1_500, across.BalanceMinor, "the swept money is counted once: on its shard")
	now, err := s.Wallet(ctx, merchant.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 1_500, now.BalanceMinor)
	assert.EqualValues(t, 5, now.EntryCount)
}

// TestASweepThatLostTheRaceMovesNothing: two sweeps read the same shard balance; the
// first moves it, the second finds the shard short and moves nothing (without the
// condition it would take the shard below zero and pay the wallet item twice).
func TestASweepThatLostTheRaceMovesNothing(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Ledger{DB: db, Table: table}
	ctx := context.Background()
	payer := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-a", Currency: "USD", BalanceMinor: 10_000,
		Status: ledger.StatusActive, Version: 1, CreatedAt: conformance.At, UpdatedAt: conformance.At}
	merchant := ledger.Wallet{ID: uuid.NewString(), OwnerID: "owner-b", Currency: "USD", Status: ledger.StatusActive, Version: 1,
		ReceiveShards: 2, CreatedAt: conformance.At, UpdatedAt: conformance.At}
	require.NoError(t, s.CreateWallet(ctx, payer))
	require.NoError(t, s.CreateWallet(ctx, merchant))
	src, err := s.Wallet(ctx, payer.ID)
	require.NoError(t, err)
	dst, err := s.Wallet(ctx, merchant.ID)
	require.NoError(t, err)
	ds, p, err := ledger.Post(src, dst, ledger.PostInput{PostingID: "race-post", CaptureMinor: 700, Kind: "payment", Now: conformance.At})
	require.NoError(t, err)
	require.NoError(t, s.Commit(ctx, wallet.Change{Deltas: ds, Posting: &p}))
	k := ds[1].Shard
	require.Positive(t, k, "the post landed on a shard")

	require.NoError(t, s.sweepShard(ctx, merchant.ID, k, 700), "the first sweep")
	require.ErrorIs(t, s.sweepShard(ctx, merchant.ID, k, 700), errShardShort, "the second, on the same read")

	var shard, item walletItem
	require.NoError(t, getItem(ctx, db, table, key(shardPK(merchant.ID, k), walletSortKey), &shard))
	require.NoError(t, getItem(ctx, db, table, key(walletPK(merchant.ID), walletSortKey), &item))
	assert.Zero(t, shard.BalanceMinor, "the shard gave its 700 once")
	assert.EqualValues(t, 700, item.BalanceMinor, "the wallet item took it once")
	now, err := s.Wallet(ctx, merchant.ID)
	require.NoError(t, err)
	assert.EqualValues(t, 700, now.BalanceMinor)
}
