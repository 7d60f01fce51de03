package ledger

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/retry"
)

// TestDeltaApply: the rules a store enforces on the stored wallet, and the order in
// which they name a refusal when several are broken at once.
func TestDeltaApply(t *testing.T) {
	const day = "2026-03-01"
	active := Wallet{ID: "w", Currency: "USD", BalanceMinor: 100, HeldMinor: 30, Status: StatusActive, CreditDay: day, CreditDayTotalMinor: 900}
	frozen := active
	frozen.Status = StatusFrozen
	full := active
	full.BalanceMinor = math.MaxInt64
	credit := func(amount int64, cont bool) Delta {
		return Delta{WalletID: "w", BalanceMinor: amount, RequireActive: true, Credit: &DailyCredit{Day: day, LimitMinor: 1_000, Continue: cont}}
	}
	tests := map[string]struct {
		wallet      Wallet
		delta       Delta
		wantErr     error
		wantBalance int64
		wantHeld    int64
	}{
		"reserve within available":         {wallet: active, delta: Delta{HeldMinor: 70, RequireActive: true}, wantBalance: 100, wantHeld: 100},
		"reserve above available":          {wallet: active, delta: Delta{HeldMinor: 71, RequireActive: true}, wantErr: ErrInsufficientFunds},
		"reserve on a frozen wallet":       {wallet: frozen, delta: Delta{HeldMinor: 1, RequireActive: true}, wantErr: ErrWalletNotActive},
		"frozen is named before funds":     {wallet: frozen, delta: Delta{HeldMinor: 1_000, RequireActive: true}, wantErr: ErrWalletNotActive},
		"release on a frozen wallet":       {wallet: frozen, delta: Delta{HeldMinor: -30}, wantBalance: 100, wantHeld: 0},
		"release more than held":           {wallet: active, delta: Delta{HeldMinor: -31}, wantErr: ErrHoldMissing},
		"capture part of a hold":           {wallet: active, delta: Delta{BalanceMinor: -20, HeldMinor: -30}, wantBalance: 80, wantHeld: 0},
		"capture without the hold":         {wallet: active, delta: Delta{BalanceMinor: -20, HeldMinor: -40}, wantErr: ErrHoldMissing},
		"reverse within available":         {wallet: active, delta: Delta{BalanceMinor: -70}, wantBalance: 30, wantHeld: 30},
		"reverse into held money":          {wallet: active, delta: Delta{BalanceMinor: -71}, wantErr: ErrInsufficientFunds},
		"receive overflows":                {wallet: full, delta: Delta{BalanceMinor: 1}, wantErr: ErrLimitExceeded},
		"credit within the day's limit":    {wallet: active, delta: credit(100, true), wantBalance: 200, wantHeld: 30},
		"credit past the day's limit":      {wallet: active, delta: credit(101, true), wantErr: ErrLimitExceeded},
		"credit on a new day restarts":     {wallet: active, delta: Delta{BalanceMinor: 1_000, Credit: &DailyCredit{Day: "2026-03-02", LimitMinor: 1_000}}, wantBalance: 1_100, wantHeld: 30},
		"counter moved to today meanwhile": {wallet: active, delta: credit(1, false), wantErr: retry.ErrConflict},
		"frozen is named before the limit": {wallet: frozen, delta: credit(5_000, true), wantErr: ErrWalletNotActive},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.delta.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			got, err := tt.delta.Apply(tt.wallet)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, tt.wallet, got, "a refusal changes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantBalance, got.BalanceMinor)
			assert.Equal(t, tt.wantHeld, got.HeldMinor)
			assert.Equal(t, tt.wallet.Version, got.Version, "money changes leave the version alone")
		})
	}
}

// TestApplyAllIsAllOrNothing: one refused delta leaves every wallet as it was.
func TestApplyAllIsAllOrNothing(t *testing.T) {
	ws := map[string]Wallet{
		"a": {ID: "a", Currency: "USD", BalanceMinor: 50, Status: StatusActive},
		"b": {ID: "b", Currency: "USD", Status: StatusFrozen},
	}
	before := map[string]Wallet{"a": ws["a"], "b": ws["b"]}
	err := ApplyAll(ws, []Delta{{WalletID: "a", BalanceMinor: -50}, {WalletID: "b", BalanceMinor: 50, RequireActive: true}}, nil)
	assert.ErrorIs(t, err, ErrWalletNotActive)
	assert.Equal(t, before, ws)
	assert.Error(t, ApplyAll(ws, []Delta{{WalletID: "ghost", BalanceMinor: 1}}, nil), "an unknown wallet is refused")
}
