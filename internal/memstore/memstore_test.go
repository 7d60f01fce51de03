package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/transfer/transfertest"
	"github.com/serverless-wallet/wallet/internal/wallet"
	"github.com/serverless-wallet/wallet/internal/wallet/wallettest"
)

func usdWallet(id, owner string, balance int64) ledger.Wallet {
	return ledger.Wallet{ID: id, OwnerID: owner, Currency: "USD", BalanceMinor: balance, Status: ledger.StatusActive, Version: 3}
}

// TestConformsAsWalletStore: the store keeps the rules the DynamoDB store keeps for
// the wallet use cases (internal/dynamo runs the same suite on the local engine).
func TestConformsAsWalletStore(t *testing.T) {
	wallettest.Run(t, func(t *testing.T) wallettest.Fixture {
		w := usdWallet("0a000000-0000-4000-8000-000000000001", "user-a", 0)
		return wallettest.Fixture{Store: memstore.New(w), Wallet: w}
	})
}

// TestConformsAsTransferStore: likewise for the transfer saga.
func TestConformsAsTransferStore(t *testing.T) {
	transfertest.Run(t, func(t *testing.T) transfertest.Fixture {
		src := usdWallet("0a000000-0000-4000-8000-000000000001", "user-a", transfertest.FundedMinor)
		dst := usdWallet("0b000000-0000-4000-8000-000000000002", "user-b", 0)
		return transfertest.Fixture{Store: memstore.New(src, dst), Source: src, Destination: dst}
	})
}

// TestACompletedKeyIsNotCompletedAgain: like DynamoDB's completion (conditional on the
// record being IN_PROGRESS), a second completion of a key fails the whole write.
func TestACompletedKeyIsNotCompletedAgain(t *testing.T) {
	w := usdWallet("0a000000-0000-4000-8000-000000000001", "user-a", 0)
	s := memstore.New(w)
	done := &idempotency.Completion{Claim: idempotency.Claim{UserID: "user-a", Key: "k", Token: "t1"}}
	credit := func(id string, c *idempotency.Completion) error {
		d, p, err := ledger.Credit(s.StoredWallet(w.ID), ledger.CreditInput{PostingID: id, AmountMinor: 10, Now: time.Unix(0, 0)},
			ledger.CreditLimits{PerCreditMaxMinor: 100, DailyMaxMinor: 1000})
		require.NoError(t, err)
		return s.Commit(context.Background(), wallet.Change{Deltas: []ledger.Delta{d}, Posting: &p, Completion: c})
	}
	require.NoError(t, credit("p1", done))
	again := *done
	again.Claim.Token = "t2" // a request that took the claim over
	assert.ErrorIs(t, credit("p2", &again), idempotency.ErrInProgress)
	assert.Equal(t, int64(10), s.StoredWallet(w.ID).BalanceMinor, "the refused write moved nothing")
}

// TestConformsAsShardStore: receive shards keep the rules the DynamoDB store keeps.
func TestConformsAsShardStore(t *testing.T) {
	wallettest.RunShards(t, func(t *testing.T) wallettest.ShardFixture {
		payer := usdWallet("0a000000-0000-4000-8000-000000000001", "user-a", wallettest.PayerFundedMinor)
		merchant := usdWallet("0b000000-0000-4000-8000-000000000002", "user-b", 0)
		merchant.ReceiveShards = wallettest.MerchantShards
		s := memstore.New(payer, merchant)
		t.Cleanup(func() { // and the ledger check passes on what each case left
			snap, err := s.Snapshot(context.Background())
			require.NoError(t, err)
			r := ledger.Check(snap)
			assert.True(t, r.OK, "%v", r.Violations)
		})
		return wallettest.ShardFixture{Store: s, Payer: payer, Merchant: merchant}
	})
}
