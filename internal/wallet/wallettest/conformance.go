// Package wallettest is the conformance suite of wallet.Store: the in-memory fake the
// unit tests use (internal/memstore) and the DynamoDB store on the local engine run the
// same cases, so the fake cannot drift from the real thing on the rules the wallet use
// cases rely on.
package wallettest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Fixture is a store holding one ACTIVE, empty USD wallet.
type Fixture struct {
	Store  wallet.Store
	Wallet ledger.Wallet
}

// Run runs every case, each on a fixture of its own from newFixture.
func Run(t *testing.T, newFixture func(t *testing.T) Fixture) {
	cases := map[string]func(t *testing.T, f Fixture){
		"a credit adds to the balance with its posting":          creditAdds,
		"a posting is written once":                              postingOnce,
		"a frozen wallet refuses money decided while active":     frozenRefuses,
		"a status change on a stale version changes nothing":     staleStatus,
		"a close needs a zero balance at the time of its write":  closeNeedsZero,
		"one wallet per owner and currency, and a bounded count": creationRefusals,
		"a credit past the day's limit decided on a stale read":  dailyLimitStale,
		"a credit decided for a day the wallet has left":         dayMovedOn,
		"a balance never overflows":                              balanceOverflow,
	}
	conformance.Run(t, cases, newFixture)
}

var limits = ledger.CreditLimits{PerCreditMaxMinor: 1_000_000, DailyMaxMinor: 10_000_000}

func read(t *testing.T, f Fixture) ledger.Wallet {
	t.Helper()
	w, err := f.Store.Wallet(context.Background(), f.Wallet.ID)
	require.NoError(t, err)
	return w
}

// credit commits a credit of amount decided on w under postingID.
func credit(t *testing.T, f Fixture, w ledger.Wallet, postingID string, amount int64) error {
	t.Helper()
	d, p, err := ledger.Credit(w, ledger.CreditInput{PostingID: postingID, AmountMinor: amount, Now: conformance.At}, limits)
	require.NoError(t, err)
	return f.Store.Commit(context.Background(), wallet.Change{Deltas: []ledger.Delta{d}, Posting: &p})
}

func creditAdds(t *testing.T, f Fixture) {
	require.NoError(t, credit(t, f, read(t, f), "p-1", 700))
	require.NoError(t, credit(t, f, read(t, f), "p-2", 300))
	w := read(t, f)
	assert.Equal(t, int64(1_000), w.BalanceMinor)
	assert.Zero(t, w.HeldMinor)
	entries, _, err := f.Store.Entries(context.Background(), f.Wallet, 10, "")
	require.NoError(t, err)
	require.Len(t, entries, 2, "one entry per posting on the wallet")
	var sum int64
	for _, e := range entries {
		sum += e.AmountMinor
	}
	assert.Equal(t, w.BalanceMinor, sum, "the statement sums to the balance")
}

func postingOnce(t *testing.T, f Fixture) {
	require.NoError(t, credit(t, f, read(t, f), "p-once", 500))
	// Decided again on the wallet as it is now, so no wallet rule refuses it: only the
	// posting's own uniqueness can.
	assert.Error(t, credit(t, f, read(t, f), "p-once", 500), "the same posting again")
	assert.Equal(t, int64(500), read(t, f).BalanceMinor)
}

func setStatus(t *testing.T, f Fixture, before ledger.Wallet, to ledger.Status) error {
	t.Helper()
	after := before
	after.Status, after.Version, after.UpdatedAt = to, before.Version+1, conformance.At
	return f.Store.SetStatus(context.Background(), before, after, nil)
}

func frozenRefuses(t *testing.T, f Fixture) {
	active := read(t, f)
	require.NoError(t, setStatus(t, f, active, ledger.StatusFrozen))
	err := credit(t, f, active, "p-late", 500) // decided on the ACTIVE read
	require.ErrorIs(t, err, ledger.ErrWalletNotActive)
	w := read(t, f)
	assert.Zero(t, w.BalanceMinor)
	assert.Equal(t, ledger.StatusFrozen, w.Status)
}

func staleStatus(t *testing.T, f Fixture) {
	before := read(t, f)
	require.NoError(t, setStatus(t, f, before, ledger.StatusFrozen))
	err := setStatus(t, f, before, ledger.StatusClosed) // decided on the read before the freeze
	require.True(t, errors.Is(err, retry.ErrConflict), "got %v", err)
	w := read(t, f)
	assert.Equal(t, ledger.StatusFrozen, w.Status)
	assert.Equal(t, before.Version+1, w.Version)
}

func closeNeedsZero(t *testing.T, f Fixture) {
	empty := read(t, f)
	require.NoError(t, credit(t, f, empty, "p-arrives", 100)) // money arrives; the version does not move
	err := setStatus(t, f, empty, ledger.StatusClosed)
	require.True(t, errors.Is(err, retry.ErrConflict), "got %v", err)
	w := read(t, f)
	assert.Equal(t, ledger.StatusActive, w.Status)
	assert.Equal(t, int64(100), w.BalanceMinor)
}

// creationRefusals: a second wallet in a currency the owner has is wallet_exists, one
// wallet too many is wallet_limit_reached, and when both fail the currency claim is
// named (a fixed order); a refused creation writes nothing, and other owners are not
// refused.
func creationRefusals(t *testing.T, f Fixture) {
	ctx := context.Background()
	newWallet := func(owner, currency string, n int) ledger.Wallet {
		return ledger.Wallet{ID: fmt.Sprintf("0e000000-0000-4000-8000-%012d", n), OwnerID: owner, Currency: currency,
			Status: ledger.StatusActive, Version: 1, CreatedAt: conformance.At, UpdatedAt: conformance.At}
	}
	n := 0
	create := func(owner, currency string) (ledger.Wallet, error) {
		n++
		w := newWallet(owner, currency, n)
		return w, f.Store.CreateWallet(ctx, w)
	}
	const owner = "owner-of-many"
	_, err := create(owner, "C0")
	require.NoError(t, err)
	refused, err := create(owner, "C0")
	require.ErrorIs(t, err, wallet.ErrWalletExists, "a currency the owner has")
	_, err = f.Store.Wallet(ctx, refused.ID)
	require.ErrorIs(t, err, problem.ErrNotFound, "a refused creation writes no wallet")
	for i := 1; i < wallet.WalletsPerOwnerMax; i++ {
		_, err := create(owner, fmt.Sprintf("C%d", i))
		require.NoError(t, err)
	}
	_, err = create(owner, "NEW")
	require.ErrorIs(t, err, wallet.ErrWalletLimit, "one wallet too many")
	_, err = create(owner, "C0")
	require.ErrorIs(t, err, wallet.ErrWalletExists, "both at once: the currency claim is named first")
	_, err = create("someone else", "C0")
	require.NoError(t, err, "another owner is not refused")
}

// problemCode is a refusal's API code ("" for an error that is not one).
func problemCode(err error) string {
	if p, ok := problem.As(err); ok {
		return p.Code
	}
	return ""
}

// dailyLimitStale: two credits decided on one read that had room for one: the store's
// own condition (the stored day total) refuses the second.
func dailyLimitStale(t *testing.T, f Fixture) {
	for i := range limits.DailyMaxMinor/limits.PerCreditMaxMinor - 1 {
		require.NoError(t, credit(t, f, read(t, f), fmt.Sprintf("p-%d", i), limits.PerCreditMaxMinor))
	}
	room := read(t, f) // one credit's room left
	require.NoError(t, credit(t, f, room, "p-last", limits.PerCreditMaxMinor))
	err := credit(t, f, room, "p-over", limits.PerCreditMaxMinor)
	assert.Equal(t, ledger.ErrLimitExceeded.Code, problemCode(err), "got %v", err)
	w := read(t, f)
	assert.Equal(t, limits.DailyMaxMinor, w.BalanceMinor)
	assert.Equal(t, limits.DailyMaxMinor, w.CreditDayTotalMinor)
}

// dayMovedOn: a credit decided to continue a day's total, after the wallet's stored day
// moved to the next day, is refused whole: it must not add to the new day's total.
func dayMovedOn(t *testing.T, f Fixture) {
	require.NoError(t, credit(t, f, read(t, f), "p-day1", 100))
	dayOne := read(t, f)
	d, p, err := ledger.Credit(dayOne, ledger.CreditInput{PostingID: "p-day2", AmountMinor: 200, Now: conformance.At.Add(24 * time.Hour)}, limits)
	require.NoError(t, err)
	require.NoError(t, f.Store.Commit(context.Background(), wallet.Change{Deltas: []ledger.Delta{d}, Posting: &p}))
	err = credit(t, f, dayOne, "p-late", 300) // decided to continue day one's total
	assert.Error(t, err)
	w := read(t, f)
	assert.Equal(t, int64(300), w.BalanceMinor, "the late credit added nothing")
	assert.Equal(t, int64(200), w.CreditDayTotalMinor, "nor to the new day's total")
}

// balanceOverflow: a change decided on a read that left room is refused by the store
// when the stored balance has grown: it never wraps around.
func balanceOverflow(t *testing.T, f Fixture) {
	ctx := context.Background()
	empty := read(t, f)
	big := ledger.Delta{WalletID: f.Wallet.ID, BalanceMinor: math.MaxInt64 - 10, RequireActive: true, Now: conformance.At}
	require.NoError(t, f.Store.Commit(ctx, wallet.Change{Deltas: []ledger.Delta{big}}))
	more := ledger.Delta{WalletID: f.Wallet.ID, BalanceMinor: 11, RequireActive: true, Now: conformance.At}
	_, err := more.Apply(empty)
	require.NoError(t, err, "decided on the empty wallet, it fits")
	err = f.Store.Commit(ctx, wallet.Change{Deltas: []ledger.Delta{more}})
	assert.Equal(t, ledger.ErrLimitExceeded.Code, problemCode(err), "got %v", err)
	assert.Equal(t, int64(math.MaxInt64-10), read(t, f).BalanceMinor)
}
