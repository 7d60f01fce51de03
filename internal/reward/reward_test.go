package reward_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events.json"))
	require.NoError(t, err)
	var es map[string]event.Event
	require.NoError(t, json.Unmarshal(b, &es))
	e, ok := es[name]
	require.True(t, ok, "no sample event %q", name)
	return e
}

func TestPointsFor(t *testing.T) {
	usd, jpy, kwd := currency(t, "USD"), currency(t, "JPY"), currency(t, "KWD")
	tests := []struct {
		amountMinor int64
		cur         money.Currency
		capPoints   int64
		want        int64
	}{
		{0, usd, 1000, 0},
		{99, usd, 1000, 0},
		{100, usd, 1000, 1},
		{199, usd, 1000, 1},
		{12345, usd, 1000, 123},
		{100_099, usd, 1000, 1000},
		{9_000_000_000, usd, 1000, 1000},
		{12345, usd, 5, 5},
		{12345, usd, 0, 0},
		{1, jpy, 1000, 1},     // one point per yen: a yen is a major unit
		{150, jpy, 1000, 150}, // so ¥150 earns what $1.50 does
		{999, kwd, 1000, 0},   // 999 fils is under one dinar
		{1500, kwd, 1000, 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, reward.PointsFor(tt.amountMinor, tt.cur, tt.capPoints), "PointsFor(%d %s, %d)", tt.amountMinor, tt.cur.Code, tt.capPoints)
	}
}

func TestMinorFor(t *testing.T) {
	tests := []struct {
		points  int64
		code    string
		want    int64
		wantErr bool
	}{
		{100, "USD", 100, false}, // 100 points = $1.00
		{1, "USD", 1, false},
		{100, "JPY", 1, false}, // 100 points = ¥1
		{1200, "JPY", 12, false},
		{150, "JPY", 0, true}, // half a yen cannot be paid
		{1, "KWD", 10, false}, // 1 point = 0.01 dinar = 10 fils
		{math.MaxInt64, "KWD", 0, true},
	}
	for _, tt := range tests {
		got, err := reward.MinorFor(tt.points, currency(t, tt.code))
		if tt.wantErr {
			assert.Error(t, err, "MinorFor(%d, %s)", tt.points, tt.code)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "MinorFor(%d, %s)", tt.points, tt.code)
	}
}

func currency(t *testing.T, code string) money.Currency {
	t.Helper()
	c, err := money.ParseCurrency(code)
	require.NoError(t, err)
	return c
}

type earned struct {
	user  string
	entry reward.Entry
	day   string
}

// fakeStore is a reward.Store in memory that records its calls.
type fakeStore struct {
	mu          sync.Mutex
	wallet      ledger.Wallet
	walletErr   error
	redeemErrs  []error // returned by successive Redeem calls; nil afterwards
	earnErr     error
	earned      []earned
	days        map[string]int64
	walletReads int
	redemptions []reward.Redemption
	historyArgs []int
	historyNext string
	history     []reward.Entry
}

func (s *fakeStore) EarnedOn(_ context.Context, userID, currency, day string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.days[userID+"/"+currency+"/"+day], nil
}

func (s *fakeStore) Earn(_ context.Context, userID string, e reward.Entry, day string, earnedBefore int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.earnErr != nil {
		return s.earnErr
	}
	k := userID + "/" + e.Currency + "/" + day
	if s.days == nil {
		s.days = map[string]int64{}
	}
	if s.days[k] != earnedBefore {
		return retry.ErrConflict
	}
	s.days[k] += e.Points
	s.earned = append(s.earned, earned{userID, e, day})
	return nil
}

func (s *fakeStore) History(_ context.Context, _ string, limit int, _ string) ([]reward.Entry, string, []reward.Balance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.historyArgs = append(s.historyArgs, limit)
	return s.history, s.historyNext, []reward.Balance{{Currency: "USD", Points: 42}}, nil
}

func (s *fakeStore) Wallet(_ context.Context, id string) (ledger.Wallet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.walletReads++
	if s.walletErr != nil {
		return ledger.Wallet{}, s.walletErr
	}
	if id != s.wallet.ID {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return s.wallet, nil
}

func (s *fakeStore) Redeem(_ context.Context, r reward.Redemption) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redemptions = append(s.redemptions, r)
	if len(s.redeemErrs) > 0 {
		err := s.redeemErrs[0]
		s.redeemErrs = s.redeemErrs[1:]
		return err
	}
	return nil
}

var (
	now       = time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.UTC)
	payer     = wallet.Caller{UserID: "u-payer"}
	payerUSD  = ledger.Wallet{ID: "w-a", OwnerID: "u-payer", Currency: "USD", BalanceMinor: 1000, Status: ledger.StatusActive, Version: 3, EntryCount: 2}
	validKey  = "redeem-key-1"
	clockFunc = func() time.Time { return now }
)

func newService(store *fakeStore, idem *idemtest.Store) *reward.Service {
	return &reward.Service{Store: store, Idem: idem, PointsPerTransferMax: reward.DefaultPointsPerTransferMax,
		PointsPerDayMax: reward.DefaultPointsPerDayMax, Now: clockFunc}
}

func TestHandle(t *testing.T) {
	tests := []struct {
		event   string
		want    []earned
		wantErr bool
	}{
		{event: "completed", want: []earned{{"u-payer", reward.Entry{ID: "earn-t-1", Points: 123, Currency: "USD", Kind: reward.KindEarn,
			TransferID: "t-1", CreatedAt: time.Date(2026, 1, 1, 0, 0, 2, 500_000_000, time.UTC)}, "2026-01-01"}}},
		{event: "completed-small"},
		{event: "completed-huge", want: []earned{{"u-payer", reward.Entry{ID: "earn-t-3", Points: reward.DefaultPointsPerTransferMax,
			Currency: "JPY", Kind: reward.KindEarn, TransferID: "t-3", CreatedAt: time.Date(2026, 1, 1, 0, 0, 4, 0, time.UTC)}, "2026-01-01"}}},
		{event: "completed-no-payer", wantErr: true},
		{event: "completed-no-transfer", wantErr: true},
		{event: "failed"},
		{event: "held"},
		{event: "credit"},
		{event: "reward"},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			store := &fakeStore{}
			err := newService(store, &idemtest.Store{}).Handle(context.Background(), sample(t, tt.event))
			if tt.wantErr {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.want, store.earned)
		})
	}
}

func TestHandleRedeliveryEarnsUnderTheSameEntryID(t *testing.T) {
	store := &fakeStore{}
	svc := newService(store, &idemtest.Store{})
	svc.PointsPerDayMax = 1000 // room for both deliveries: the store, not the cap, deduplicates
	e := sample(t, "completed")
	require.NoError(t, svc.Handle(context.Background(), e))
	require.NoError(t, svc.Handle(context.Background(), e))
	require.Len(t, store.earned, 2)
	assert.Equal(t, store.earned[0].entry, store.earned[1].entry, "the store deduplicates on the entry id, so it must not change")
}

func TestHandleDailyCap(t *testing.T) {
	completed := func(id string, amount int64, currency string, at time.Time) event.Event {
		e := sample(t, "completed")
		e.ID, e.Time = "ev-"+id, at
		e.Payload.TransferID, e.Payload.AmountMinor, e.Payload.Currency = id, amount, currency
		return e
	}
	day1 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	store := &fakeStore{}
	svc := newService(store, &idemtest.Store{})
	svc.PointsPerDayMax = 250
	ctx := context.Background()
	for i, want := range []int64{100, 100, 50} { // $1.00 each: 100 + 100 + 50 (capped) + 0
		require.NoError(t, svc.Handle(ctx, completed(fmt.Sprint("t", i), 10_000, "USD", day1)))
		require.Len(t, store.earned, i+1)
		assert.Equal(t, want, store.earned[i].entry.Points)
	}
	require.NoError(t, svc.Handle(ctx, completed("t-over", 10_000, "USD", day1)))
	assert.Len(t, store.earned, 3, "nothing is earned past the cap")

	require.NoError(t, svc.Handle(ctx, completed("t-jpy", 100, "JPY", day1)))
	require.Len(t, store.earned, 4, "each currency has its own cap")
	assert.Equal(t, reward.Entry{ID: "earn-t-jpy", Points: 100, Currency: "JPY", Kind: reward.KindEarn, TransferID: "t-jpy", CreatedAt: day1},
		store.earned[3].entry)

	require.NoError(t, svc.Handle(ctx, completed("t-next", 10_000, "USD", day1.Add(24*time.Hour))))
	require.Len(t, store.earned, 5, "the next UTC day starts from zero")
	assert.Equal(t, "2026-05-02", store.earned[4].day)

	bad := completed("t-bad", 10_000, "XXX", day1)
	assert.Error(t, svc.Handle(ctx, bad), "an unknown currency is an error, not zero points")
}

func TestHandleEarnError(t *testing.T) {
	boom := errors.New("dynamodb: throttled")
	store := &fakeStore{earnErr: boom}
	err := newService(store, &idemtest.Store{}).Handle(context.Background(), sample(t, "completed"))
	assert.ErrorIs(t, err, boom)
}

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
			assert.Equal(t, wallet.Result{}, res)
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

	assert.Equal(t, http.StatusCreated, res.StatusCode)
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
	assert.Equal(t, idempotency.Response{StatusCode: http.StatusCreated, Body: res.Body}, r.Completion.Response,
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
			assert.Equal(t, wallet.Result{}, res)
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
	idem := &idemtest.Store{Replay: &idempotency.Response{StatusCode: http.StatusCreated, Body: stored}}
	res, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 50, WalletID: "w-a"})
	require.NoError(t, err)
	assert.Equal(t, wallet.Result{StatusCode: http.StatusCreated, Body: stored, Replayed: true}, res)
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
	store := &fakeStore{wallet: payerUSD, redeemErrs: []error{wallet.ErrConflict, wallet.ErrConflict}}
	idem := &idemtest.Store{}
	res, err := newService(store, idem).Redeem(context.Background(), payer, validKey, reward.RedeemInput{Points: 50, WalletID: "w-a"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, res.StatusCode)
	require.Len(t, store.redemptions, 3)
	assert.Equal(t, 4, store.walletReads, "one ownership check, then a fresh read per attempt")
	for _, r := range store.redemptions {
		assert.Equal(t, store.redemptions[0].Posting.ID, r.Posting.ID, "every attempt posts under the same id")
	}
	assert.Empty(t, idem.Released())
}

func TestGet(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		wantValid bool
	}{
		{"zero", 0, false},
		{"negative", -3, false},
		{"over max", reward.PageSizeMax + 1, false},
		{"one", 1, true},
		{"max", reward.PageSizeMax, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{}
			p, err := newService(store, &idemtest.Store{}).Get(context.Background(), "u-payer", tt.limit, "")
			if !tt.wantValid {
				pe, ok := problem.As(err)
				require.True(t, ok, "err = %v", err)
				assert.Equal(t, "invalid_limit", pe.Code)
				assert.Empty(t, store.historyArgs)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []int{tt.limit}, store.historyArgs)
			b, err := json.Marshal(p)
			require.NoError(t, err)
			assert.JSONEq(t, `{"balances":[{"currency":"USD","points":42}],"items":[],"next_cursor":null}`, string(b))
		})
	}
}

func TestGetNextCursor(t *testing.T) {
	store := &fakeStore{historyNext: "c2", history: []reward.Entry{{ID: "earn-t-1", Points: 5, Kind: reward.KindEarn}}}
	p, err := newService(store, &idemtest.Store{}).Get(context.Background(), "u-payer", 1, "c1")
	require.NoError(t, err)
	require.NotNil(t, p.NextCursor)
	assert.Equal(t, "c2", *p.NextCursor)
	assert.Len(t, p.Items, 1)
}
