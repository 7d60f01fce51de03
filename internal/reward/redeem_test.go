package reward_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
)

func TestRedeemValidation(t *testing.T) {
	tests := []struct {
		name string
		key  string
		in   reward.RedeemInput
		want error
	}{
		{"no key", "", reward.RedeemInput{Points: 10, WalletID: "w-a"}, idempotency.ErrKeyRequired},
		{"key with a space", "a b", reward.RedeemInput{Points: 10, WalletID: "w-a"}, idempotency.ErrKeyInvalid},
		{"key too long", strings.Repeat("k", idempotency.KeyBytesMax+1), reward.RedeemInput{Points: 10, WalletID: "w-a"}, idempotency.ErrKeyInvalid},
		{"key checked before points", "", reward.RedeemInput{Points: 0, WalletID: "w-a"}, idempotency.ErrKeyRequired},
		{"zero points", validKey, reward.RedeemInput{Points: 0, WalletID: "w-a"}, reward.ErrInvalidPoints},
		{"negative points", validKey, reward.RedeemInput{Points: -100, WalletID: "w-a"}, reward.ErrInvalidPoints},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{wallet: payerUSD}
			idem := &idemtest.Store{}
			res, err := newService(store, idem).Redeem(context.Background(), payer, tt.key, tt.in)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, op.Result{}, res)
			assert.Zero(t, store.walletReads)
			if errors.Is(tt.want, reward.ErrInvalidPoints) {
				assert.Equal(t, idem.Begun(), idem.Released(), "the key is claimed first (a completed key replays first), then freed")
			} else {
				assert.Empty(t, idem.Begun(), "an invalid key claims nothing")
			}
			assert.Empty(t, store.redemptions)
		})
	}
}

func TestRedeemWalletNotTheCallers(t *testing.T) {
	storeErr := errors.New("dynamodb: unavailable")
	tests := []struct {
		name      string
		walletID  string
		walletErr error
		want      error
	}{
		{"another user's wallet", "w-other", nil, problem.ErrNotFound},
		{"missing wallet", "w-missing", problem.ErrNotFound, problem.ErrNotFound},
		{"over-long id the store refuses", strings.Repeat("w", 65), storeErr, problem.ErrNotFound},
		{"store failure passes through", "w-a", storeErr, storeErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := ledger.Wallet{ID: "w-other", OwnerID: "u-someone-else", Currency: "USD", BalanceMinor: 5000, Status: ledger.StatusActive}
			store := &fakeStore{wallet: other, walletErr: tt.walletErr}
			idem := &idemtest.Store{}
			_, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 10, WalletID: tt.walletID})
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, idem.Begun(), idem.Released(), "the key claimed first is freed again")
			assert.Empty(t, store.redemptions)
		})
	}
}

func TestRedeemSuccess(t *testing.T) {
	store := &fakeStore{wallet: payerUSD}
	idem := &idemtest.Store{}
	res, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 150, WalletID: "w-a"})
	require.NoError(t, err)

	require.Len(t, idem.Begun(), 1)
	claim := idem.Begun()[0]
	assert.Equal(t, "u-payer", claim.UserID)
	assert.Equal(t, validKey, claim.Key)
	assert.Empty(t, idem.Released())

	assert.Equal(t, op.Created, res.Outcome)
	assert.False(t, res.Replayed)
	var body map[string]any
	require.NoError(t, json.Unmarshal(res.Body, &body))
	assert.Equal(t, map[string]any{
		"id":         "redeem-" + claim.Token,
		"points":     150.0,
		"wallet_id":  "w-a",
		"amount":     150.0, // USD: one point is one cent
		"currency":   "USD",
		"created_at": "2026-03-04T05:06:07.891Z",
	}, body)

	require.Len(t, store.redemptions, 1)
	r := store.redemptions[0]
	assert.Equal(t, "u-payer", r.UserID)
	assert.Equal(t, reward.Entry{ID: "redeem-" + claim.Token, Points: -150, Currency: "USD", Kind: reward.KindRedeem, WalletID: "w-a",
		CreatedAt: now.Truncate(time.Millisecond)}, r.Entry)
	assert.Equal(t, ledger.Delta{WalletID: "w-a", BalanceMinor: 150, RequireActive: true, Now: r.Wallet.Now}, r.Wallet,
		"the redemption adds to the wallet, only while it is active")
	assert.Equal(t, "redeem-"+claim.Token, r.Posting.ID)
	assert.Equal(t, ledger.KindReward, r.Posting.Kind)
	require.NoError(t, r.Posting.Validate())
	var walletLeg, rewardsLeg int64
	for _, e := range r.Posting.Entries {
		switch e.Account {
		case "w-a":
			walletLeg += e.AmountMinor
		case ledger.ExternalAccount(ledger.PurposeRewards, "USD"):
			rewardsLeg += e.AmountMinor
		default:
			t.Errorf("unexpected account %q in the posting", e.Account)
		}
	}
	assert.Equal(t, int64(150), walletLeg)
	assert.Equal(t, int64(-150), rewardsLeg, "the money comes from the rewards account")
	require.NotNil(t, r.Completion)
	assert.Equal(t, claim, r.Completion.Claim)
	assert.Equal(t, idempotency.Response{Outcome: string(op.Created), Body: res.Body}, r.Completion.Response,
		"a replay must answer exactly what the first request answered")
}

func TestRedeemHashIsTheRequest(t *testing.T) {
	hashOf := func(in reward.RedeemInput) string {
		idem := &idemtest.Store{}
		_, err := newService(&fakeStore{wallet: payerUSD}, idem).Redeem(context.Background(), payer, validKey, in)
		require.NoError(t, err)
		require.Len(t, idem.Begun(), 1)
		return idem.Begun()[0].Hash
	}
	h := hashOf(reward.RedeemInput{Points: 10, WalletID: "w-a"})
	assert.Equal(t, h, hashOf(reward.RedeemInput{Points: 10, WalletID: "w-a"}))
	assert.NotEqual(t, h, hashOf(reward.RedeemInput{Points: 11, WalletID: "w-a"}), "reusing a key for other points must be refused")
}

func TestRedeemFailureReleasesTheClaim(t *testing.T) {
	frozen := payerUSD
	frozen.Status = ledger.StatusFrozen
	storeErr := errors.New("dynamodb: unavailable")
	tests := []struct {
		name        string
		wallet      ledger.Wallet
		redeemErrs  []error
		want        error
		wantRelease bool
	}{
		{"insufficient points", payerUSD, []error{reward.ErrInsufficientPoints}, reward.ErrInsufficientPoints, true},
		{"frozen wallet", frozen, nil, ledger.ErrWalletNotActive, true},
		{"store failure", payerUSD, []error{storeErr}, storeErr, true},
		{"claim lost to another request: not ours to release", payerUSD, []error{idempotency.ErrInProgress}, idempotency.ErrInProgress, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{wallet: tt.wallet, redeemErrs: tt.redeemErrs}
			idem := &idemtest.Store{}
			res, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 50, WalletID: "w-a"})
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, op.Result{}, res)
			require.Len(t, idem.Begun(), 1)
			if tt.wantRelease {
				assert.Equal(t, idem.Begun(), idem.Released(), "the claim taken must be the one released")
			} else {
				assert.Empty(t, idem.Released())
			}
		})
	}
}

func TestRedeemReplay(t *testing.T) {
	stored := []byte(`{"id":"redeem-first","points":50}`)
	store := &fakeStore{wallet: payerUSD}
	idem := &idemtest.Store{Replay: &idempotency.Response{Outcome: string(op.Created), Body: stored}}
	res, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 50, WalletID: "w-a"})
	require.NoError(t, err)
	assert.Equal(t, op.Result{Outcome: op.Created, Body: stored, Replayed: true}, res)
	assert.Empty(t, store.redemptions, "a replay moves no money")
	assert.Empty(t, idem.Released())
}

func TestRedeemBeginRefused(t *testing.T) {
	store := &fakeStore{wallet: payerUSD}
	idem := &idemtest.Store{BeginErr: idempotency.ErrKeyReused}
	_, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 50, WalletID: "w-a"})
	assert.ErrorIs(t, err, idempotency.ErrKeyReused)
	assert.Empty(t, store.redemptions)
	assert.Empty(t, idem.Released(), "a refused claim was never ours")
}

func TestRedeemRetriesConflicts(t *testing.T) {
	store := &fakeStore{wallet: payerUSD, redeemErrs: []error{retry.ErrConflict, retry.ErrConflict}}
	idem := &idemtest.Store{}
	res, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 50, WalletID: "w-a"})
	require.NoError(t, err)
	assert.Equal(t, op.Created, res.Outcome)
	require.Len(t, store.redemptions, 3)
	assert.Equal(t, 4, store.walletReads, "one ownership check, then a fresh read per attempt")
	for _, r := range store.redemptions {
		assert.Equal(t, store.redemptions[0].Posting.ID, r.Posting.ID, "every attempt posts under the same id")
	}
	assert.Empty(t, idem.Released())
}
