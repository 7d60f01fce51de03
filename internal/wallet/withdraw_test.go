package wallet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// TestWithdraw: a withdrawal leaves the wallet for the funding account in one balanced
// posting, out of the available balance, within the per-withdrawal and daily limits,
// from an ACTIVE wallet of the caller's; a refusal moves nothing.
func TestWithdraw(t *testing.T) {
	wdLimits := ledger.WithdrawalLimits{PerWithdrawalMaxMinor: 1_000, DailyMaxMinor: 1_500}
	frozen := activeWallet(5_000)
	frozen.Status = ledger.StatusFrozen
	held := activeWallet(5_000)
	held.HeldMinor = 4_500
	tests := []struct {
		name     string
		w        ledger.Wallet
		caller   op.Caller
		amounts  []int64 // withdrawn one after the other, each with its own key
		wantCode string  // of the last
		want     int64   // the balance after
	}{
		{"one withdrawal", activeWallet(5_000), ownerCaller, []int64{700}, "", 4_300},
		{"up to the daily limit", activeWallet(5_000), ownerCaller, []int64{1_000, 500}, "", 3_500},
		{"past the daily limit", activeWallet(5_000), ownerCaller, []int64{1_000, 501}, "limit_exceeded", 4_000},
		{"past the per-withdrawal limit", activeWallet(5_000), ownerCaller, []int64{1_001}, "limit_exceeded", 5_000},
		{"more than the balance", activeWallet(500), ownerCaller, []int64{501}, "insufficient_funds", 500},
		{"more than is available (held)", held, ownerCaller, []int64{501}, "insufficient_funds", 5_000},
		{"a frozen wallet", frozen, ownerCaller, []int64{100}, "wallet_not_active", 5_000},
		{"someone else's wallet", activeWallet(5_000), op.Caller{UserID: stranger}, []int64{100}, "not_found", 5_000},
		{"an admin, for someone else's wallet", activeWallet(5_000), adminCaller, []int64{100}, "not_found", 5_000},
		{"nothing", activeWallet(5_000), ownerCaller, []int64{0}, "invalid_amount", 5_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := memstore.New(tt.w)
			svc := wallet.NewService(store, &idemtest.Store{}, limits, func() time.Time { return fixedNow }).WithWithdrawalLimits(wdLimits)
			var err error
			var res op.Result
			for i, a := range tt.amounts {
				res, err = svc.Withdraw(context.Background(), tt.caller, walletID, fmt.Sprint("wd-", i), wallet.WithdrawalInput{Amount: money.Minor(a)})
				if i < len(tt.amounts)-1 {
					require.NoError(t, err)
				}
			}
			if tt.wantCode != "" {
				p, ok := problem.As(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, tt.wantCode, p.Code)
			} else {
				require.NoError(t, err)
				assert.Equal(t, op.Created, res.Outcome)
			}
			assert.Equal(t, tt.want, store.StoredWallet(walletID).BalanceMinor)
			sums, total := store.AccountSums()
			assert.Zero(t, total, "every posting balanced")
			assert.Equal(t, tt.w.BalanceMinor-tt.want, sums[ledger.ExternalAccount(ledger.PurposeFunding, "USD")],
				"what left the wallet is on the funding account")
		})
	}
}

// TestWithdrawCompletesItsKeyWithTheMoney: the key's record is completed, with the
// answer a replay gives, in the same write as the money.
func TestWithdrawCompletesItsKeyWithTheMoney(t *testing.T) {
	svc, store, _ := newService(activeWallet(5_000))
	res, err := svc.Withdraw(context.Background(), ownerCaller, walletID, idemKey, wallet.WithdrawalInput{Amount: 300, Description: "to my bank"})
	require.NoError(t, err)
	require.Len(t, store.Completions, 1)
	assert.Equal(t, idemKey, store.Completions[0].Claim.Key)
	assert.JSONEq(t, string(res.Body), string(store.Completions[0].Response.Body))
	var v wallet.WithdrawalView
	require.NoError(t, json.Unmarshal(res.Body, &v))
	assert.Equal(t, wallet.WithdrawalView{ID: v.ID, WalletID: walletID, Amount: 300, Currency: "USD", Description: "to my bank", CreatedAt: fixedNow}, v)
	assert.Equal(t, int64(4_700), store.StoredWallet(walletID).BalanceMinor)
}
