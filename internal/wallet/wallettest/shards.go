package wallettest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// ShardStore is a wallet.Store that sweeps receive shards on request.
type ShardStore interface {
	wallet.Store
	// SweepShards moves what a wallet's receive shards hold onto the wallet item and
	// returns what this call moved.
	SweepShards(ctx context.Context, walletID string) (int64, error)
}

// ShardFixture is a store holding two ACTIVE USD wallets: Payer with PayerFundedMinor,
// and Merchant, empty, with MerchantShards receive shards.
type ShardFixture struct {
	Store    ShardStore
	Payer    ledger.Wallet
	Merchant ledger.Wallet
}

// The shard fixture's amounts.
const (
	PayerFundedMinor = 100_000
	MerchantShards   = 4
)

// RunShards runs the receive shard cases, each on a fixture of its own.
func RunShards(t *testing.T, newFixture func(t *testing.T) ShardFixture) {
	cases := map[string]func(t *testing.T, f ShardFixture){
		"posts land on shards and the wallet reads as their sum":          shardsSum,
		"a post replayed lands on its shard once":                         shardPostOnce,
		"a debit beyond the wallet item sweeps the shards, once":          debitSweeps,
		"sweeps twice, at once and between posts move every cent once":    sweepsExact,
		"a frozen wallet's shards refuse posts decided while it was open": frozenShards,
		"a close needs the shards empty at the time of its write":         closeNeedsEmptyShards,
	}
	conformance.Run(t, cases, newFixture)
}

func readWallet(t *testing.T, s wallet.Store, id string) ledger.Wallet {
	t.Helper()
	w, err := s.Wallet(context.Background(), id)
	require.NoError(t, err)
	return w
}

// pay commits a post of amount from src to dst decided on the wallets as read now,
// retrying lost races.
func pay(ctx context.Context, s wallet.Store, srcID, dstID, postingID string, amount int64) error {
	return retry.Conflicts(ctx, func(int) error {
		src, err := s.Wallet(ctx, srcID)
		if err != nil {
			return err
		}
		dst, err := s.Wallet(ctx, dstID)
		if err != nil {
			return err
		}
		return payOn(ctx, s, src, dst, postingID, amount)
	})
}

// kindPayment is the kind of the suite's posts: not transfer postings, which the
// ledger check holds to a transfer's hold.
const kindPayment = "conformance-payment"

// payOn commits a post decided on src and dst as given.
func payOn(ctx context.Context, s wallet.Store, src, dst ledger.Wallet, postingID string, amount int64) error {
	ds, p, err := ledger.Post(src, dst, ledger.PostInput{PostingID: postingID, CaptureMinor: amount, Kind: kindPayment, Now: conformance.At})
	if err != nil {
		return err
	}
	return s.Commit(ctx, wallet.Change{Deltas: ds, Posting: &p})
}

// entriesSum reads every entry of w and sums them.
func entriesSum(t *testing.T, s wallet.Store, w ledger.Wallet) (int64, int) {
	t.Helper()
	var sum int64
	var n int
	after := ""
	for {
		page, next, err := s.Entries(context.Background(), w, 3, after)
		require.NoError(t, err)
		for _, e := range page {
			sum += e.AmountMinor
			n++
		}
		if next == "" {
			return sum, n
		}
		after = next
	}
}

func shardsSum(t *testing.T, f ShardFixture) {
	ctx := context.Background()
	for i, amount := range []int64{100, 250, 40, 7, 3} {
		require.NoError(t, pay(ctx, f.Store, f.Payer.ID, f.Merchant.ID, fmt.Sprintf("in-%d", i), amount))
	}
	m := readWallet(t, f.Store, f.Merchant.ID)
	assert.Equal(t, int64(400), m.BalanceMinor, "the wallet reads as its item plus its shards")
	assert.Equal(t, int64(400), m.AvailableMinor())
	assert.Equal(t, int64(5), m.EntryCount)
	sum, n := entriesSum(t, f.Store, m)
	assert.Equal(t, int64(400), sum, "the statement, merged over the shards, sums to the balance")
	assert.Equal(t, 5, n)
	moved, err := f.Store.SweepShards(ctx, f.Merchant.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(400), moved, "every post went to a shard: the wallet item took none of it")
	assert.Equal(t, int64(400), readWallet(t, f.Store, f.Merchant.ID).BalanceMinor, "a sweep changes no balance")
}

func shardPostOnce(t *testing.T, f ShardFixture) {
	ctx := context.Background()
	require.NoError(t, pay(ctx, f.Store, f.Payer.ID, f.Merchant.ID, "in-once", 500))
	err := payOn(ctx, f.Store, readWallet(t, f.Store, f.Payer.ID), readWallet(t, f.Store, f.Merchant.ID), "in-once", 500)
	assert.Error(t, err, "the same posting again: its entry exists on the same shard")
	assert.Equal(t, int64(500), readWallet(t, f.Store, f.Merchant.ID).BalanceMinor)
	assert.Equal(t, int64(PayerFundedMinor-500), readWallet(t, f.Store, f.Payer.ID).BalanceMinor)
}

func debitSweeps(t *testing.T, f ShardFixture) {
	ctx := context.Background()
	for i := range 4 {
		require.NoError(t, pay(ctx, f.Store, f.Payer.ID, f.Merchant.ID, fmt.Sprintf("in-%d", i), 125))
	}
	require.NoError(t, pay(ctx, f.Store, f.Merchant.ID, f.Payer.ID, "out-1", 300), "the item holds nothing: the shards pay")
	m := readWallet(t, f.Store, f.Merchant.ID)
	assert.Equal(t, int64(200), m.BalanceMinor)
	moved, err := f.Store.SweepShards(ctx, f.Merchant.ID)
	require.NoError(t, err)
	assert.Zero(t, moved, "the debit's sweep took everything the shards held")

	err = pay(ctx, f.Store, f.Merchant.ID, f.Payer.ID, "out-2", 201)
	require.ErrorIs(t, err, ledger.ErrInsufficientFunds, "beyond the wallet and its shards")
	assert.Equal(t, int64(200), readWallet(t, f.Store, f.Merchant.ID).BalanceMinor, "the refusal moved nothing")
	assert.Equal(t, int64(PayerFundedMinor-200), readWallet(t, f.Store, f.Payer.ID).BalanceMinor)
	sum, n := entriesSum(t, f.Store, m)
	assert.Equal(t, int64(200), sum)
	assert.Equal(t, 5, n)
}

func sweepsExact(t *testing.T, f ShardFixture) {
	ctx := context.Background()
	const posts, sweeps = 12, 4
	var wg sync.WaitGroup
	errs := make(chan error, posts+sweeps)
	for i := range posts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- pay(ctx, f.Store, f.Payer.ID, f.Merchant.ID, fmt.Sprintf("in-%d", i), int64(10+i))
		}()
	}
	var mu sync.Mutex
	var swept int64
	for range sweeps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := retry.Conflicts(ctx, func(int) error {
				moved, err := f.Store.SweepShards(ctx, f.Merchant.ID)
				mu.Lock()
				swept += moved
				mu.Unlock()
				return err
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	want := int64(posts*10 + posts*(posts-1)/2)
	m := readWallet(t, f.Store, f.Merchant.ID)
	assert.Equal(t, want, m.BalanceMinor, "every post counted once, however the sweeps fell")
	rest, err := f.Store.SweepShards(ctx, f.Merchant.ID)
	require.NoError(t, err)
	again, err := f.Store.SweepShards(ctx, f.Merchant.ID)
	require.NoError(t, err)
	assert.Zero(t, again, "a sweep applied twice moves nothing the second time")
	assert.Equal(t, want, swept+rest, "the sweeps moved each cent once")
	assert.Equal(t, want, readWallet(t, f.Store, f.Merchant.ID).BalanceMinor)
	assert.Equal(t, int64(PayerFundedMinor)-want, readWallet(t, f.Store, f.Payer.ID).BalanceMinor)
	sum, _ := entriesSum(t, f.Store, m)
	assert.Equal(t, want, sum)
}

func frozenShards(t *testing.T, f ShardFixture) {
	ctx := context.Background()
	payer := readWallet(t, f.Store, f.Payer.ID)
	open := readWallet(t, f.Store, f.Merchant.ID)
	frozen := open
	frozen.Status, frozen.Version, frozen.UpdatedAt = ledger.StatusFrozen, open.Version+1, conformance.At
	require.NoError(t, f.Store.SetStatus(ctx, open, frozen, nil))
	for i := range 2 * MerchantShards { // posting ids that fall on every shard, most likely
		err := payOn(ctx, f.Store, payer, open, fmt.Sprintf("late-%d", i), 10)
		require.ErrorIs(t, err, ledger.ErrWalletNotActive, "a post decided while the wallet was active")
	}
	assert.Zero(t, readWallet(t, f.Store, f.Merchant.ID).BalanceMinor)
	active := frozen
	active.Status, active.Version = ledger.StatusActive, frozen.Version+1
	require.NoError(t, f.Store.SetStatus(ctx, frozen, active, nil))
	require.NoError(t, pay(ctx, f.Store, f.Payer.ID, f.Merchant.ID, "after", 10), "unfrozen, its shards receive again")
	assert.Equal(t, int64(10), readWallet(t, f.Store, f.Merchant.ID).BalanceMinor)
}

func closeNeedsEmptyShards(t *testing.T, f ShardFixture) {
	ctx := context.Background()
	empty := readWallet(t, f.Store, f.Merchant.ID)
	require.NoError(t, pay(ctx, f.Store, f.Payer.ID, f.Merchant.ID, "arrives", 100)) // onto a shard; the version does not move
	closed := empty
	closed.Status, closed.Version, closed.UpdatedAt = ledger.StatusClosed, empty.Version+1, conformance.At
	err := f.Store.SetStatus(ctx, empty, closed, nil)
	require.True(t, errors.Is(err, retry.ErrConflict), "got %v", err)
	m := readWallet(t, f.Store, f.Merchant.ID)
	assert.Equal(t, ledger.StatusActive, m.Status)
	assert.Equal(t, int64(100), m.BalanceMinor)
}
