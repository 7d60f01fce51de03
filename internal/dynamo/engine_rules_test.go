//go:build integration

package dynamo

import (
	"context"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// The conditions of the idempotency records, each by the request it must refuse.
func TestIdempotencyRecordRules(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	abandoned := now.Add((idempotency.InProgressTTLSeconds + 1) * time.Second) // the first claim's deadline passed
	stored := func(t *testing.T, s *Idempotency, c idempotency.Claim) idemItem {
		t.Helper()
		var it idemItem
		require.NoError(t, getItem(ctx, s.DB, s.Table, idemKey(c), &it))
		return it
	}
	complete := func(s *Idempotency, c idempotency.Claim) error {
		it, err := s.completionItem(idempotency.Completion{Claim: c, Response: idempotency.Response{Outcome: "created", Body: []byte(`{}`)}}, now)
		if err != nil {
			return err
		}
		var tx txn
		tx.add(it, func(map[string]ddbtypes.AttributeValue) error { return idempotency.ErrInProgress })
		return tx.commit(ctx, s.DB)
	}
	tests := map[string]func(t *testing.T, s *Idempotency){
		"an abandoned claim is taken over only by the same request": func(t *testing.T, s *Idempotency) {
			first := idempotency.NewClaim("u", "k", "hash-a")
			_, err := s.Begin(ctx, first, now)
			require.NoError(t, err)
			_, err = s.Begin(ctx, idempotency.NewClaim("u", "k", "hash-b"), abandoned)
			assert.ErrorIs(t, err, idempotency.ErrKeyReused)
			assert.Equal(t, first.Token, stored(t, s, first).Token, "the record is still the first claim's")
		},
		"a completed key answers another request with key reused": func(t *testing.T, s *Idempotency) {
			first := idempotency.NewClaim("u", "k", "hash-a")
			_, err := s.Begin(ctx, first, now)
			require.NoError(t, err)
			require.NoError(t, complete(s, first))
			replay, err := s.Begin(ctx, idempotency.NewClaim("u", "k", "hash-b"), now)
			assert.ErrorIs(t, err, idempotency.ErrKeyReused)
			assert.Nil(t, replay, "not the first request's answer")
		},
		"a release by another claim leaves the record": func(t *testing.T, s *Idempotency) {
			first := idempotency.NewClaim("u", "k", "hash-a")
			_, err := s.Begin(ctx, first, now)
			require.NoError(t, err)
			require.NoError(t, s.Release(ctx, idempotency.NewClaim("u", "k", "hash-a")))
			assert.Equal(t, first.Token, stored(t, s, first).Token)
		},
		"a claim taken over cannot complete": func(t *testing.T, s *Idempotency) {
			first := idempotency.NewClaim("u", "k", "hash-a")
			_, err := s.Begin(ctx, first, now)
			require.NoError(t, err)
			second := idempotency.NewClaim("u", "k", "hash-a")
			_, err = s.Begin(ctx, second, abandoned)
			require.NoError(t, err, "the same request takes the abandoned claim over")
			assert.ErrorIs(t, complete(s, first), idempotency.ErrInProgress, "the slow first request completes nothing")
			it := stored(t, s, second)
			assert.Equal(t, idempotency.StatusInProgress, it.Status)
			assert.Equal(t, second.Token, it.Token)
			require.NoError(t, complete(s, second))
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			db, table := engineTable(t, false)
			tt(t, &Idempotency{DB: db, Table: table})
		})
	}
}

// TestBreakerIsSavedOnItsVersion: two instances that loaded the same version cannot
// both save; the second decides again.
func TestBreakerIsSavedOnItsVersion(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Ledger{DB: db, Table: table}
	ctx := context.Background()
	require.NoError(t, s.SaveBreaker(ctx, transfer.BreakerState{State: transfer.BreakerClosed}))
	loaded, err := s.LoadBreaker(ctx)
	require.NoError(t, err)
	a, b := loaded, loaded
	a.Failures, b.Failures = 1, 1
	require.NoError(t, s.SaveBreaker(ctx, a))
	assert.ErrorIs(t, s.SaveBreaker(ctx, b), retry.ErrConflict)
	now, err := s.LoadBreaker(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, now.Failures, "counted once")

	// A save the SDK sends twice (its first copy landed, its answer was lost) holds.
	twice := &Ledger{DB: &sentTwice{API: db, n: 1}, Table: table}
	now.Failures = 2
	require.NoError(t, twice.SaveBreaker(ctx, now), "the save sent twice")
	again, err := s.LoadBreaker(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, again.Failures)
	assert.Equal(t, now.Version+1, again.Version, "written once")
}

// TestRedeemNeedsThePoints: a redemption of more points than the user has is refused
// by the points balance's condition, and moves no money.
func TestRedeemNeedsThePoints(t *testing.T) {
	db, table := engineTable(t, true, rewardsIndex)
	l := &Ledger{DB: db, Table: table}
	r := &Rewards{DB: db, Table: table, Ledger: l}
	ctx := context.Background()
	w := ledger.Wallet{ID: uuid.NewString(), OwnerID: "u", Currency: "USD", Status: ledger.StatusActive, Version: 1,
		CreatedAt: conformance.At, UpdatedAt: conformance.At}
	require.NoError(t, l.CreateWallet(ctx, w))
	require.NoError(t, r.Earn(ctx, reward.Earning{UserID: "u", Day: "2030-01-02", GrantPoints: 100, AmountMinor: 10_000,
		Entry: reward.Entry{ID: "earn-t1", Points: 100, Currency: "USD", Kind: reward.KindEarn, TransferID: "t1", CreatedAt: conformance.At}}))
	redeem := func(id string, points int64) error {
		d, p, err := ledger.Receive(w, ledger.MoveInput{PostingID: id, AmountMinor: points,
			Counter: ledger.ExternalAccount(ledger.PurposeRewards, "USD"), Kind: ledger.KindReward, Now: conformance.At})
		require.NoError(t, err)
		return r.Redeem(ctx, reward.Redemption{UserID: "u", Wallet: d, Posting: p,
			Entry: reward.Entry{ID: id, Points: -points, Currency: "USD", Kind: reward.KindRedeem, WalletID: w.ID, CreatedAt: conformance.At}})
	}
	require.ErrorIs(t, redeem("r-1", 101), reward.ErrInsufficientPoints)
	got, err := l.Wallet(ctx, w.ID)
	require.NoError(t, err)
	assert.Zero(t, got.BalanceMinor, "a refused redemption moves no money")
	require.NoError(t, redeem("r-2", 100), "exactly the points held")
	got, err = l.Wallet(ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(100), got.BalanceMinor)
	_, _, balances, err := r.History(ctx, "u", 10, "")
	require.NoError(t, err)
	assert.Equal(t, []reward.Balance{{Currency: "USD", Points: 0}}, balances)
}
