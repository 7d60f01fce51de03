package reward_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
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
	mu            sync.Mutex
	wallet        ledger.Wallet
	walletErr     error
	redeemErrs    []error // returned by successive Redeem calls; nil afterwards
	earnErr       error
	earned        []earned
	days          map[string]int64
	points        map[string]int64 // user/currency
	owed          map[string]int64 // user/currency
	claims        map[string]reward.Claim
	clawedBy      map[string]bool // refund ids
	clawbacks     []reward.Clawback
	walletReads   int
	standingReads int
	redemptions   []reward.Redemption
	historyArgs   []int
	historyNext   string
	history       []reward.Entry
}

func (s *fakeStore) Standing(_ context.Context, userID, currency, day string) (reward.Standing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.standingReads++
	return reward.Standing{EarnedOnDay: s.days[userID+"/"+currency+"/"+day], Owed: s.owed[userID+"/"+currency]}, nil
}

// Earn keeps the store's rules: once per transfer, the day's count conditional.
func (s *fakeStore) Earn(_ context.Context, e reward.Earning) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.earnErr != nil {
		return s.earnErr
	}
	s.init()
	cl := s.claims[e.UserID+"/"+e.Entry.TransferID]
	if cl.Earned {
		return nil
	}
	if cl.RefundedMinor != e.Claim.RefundedMinor {
		return retry.ErrConflict
	}
	k := e.UserID + "/" + e.Entry.Currency + "/" + e.Day
	if s.days[k] != e.Seen.EarnedOnDay {
		return retry.ErrConflict
	}
	bk := e.UserID + "/" + e.Entry.Currency
	if s.owed[bk] < e.RepaidPoints || (e.GrantPoints > e.ClawedPoints && s.owed[bk] != e.Seen.Owed) {
		return retry.ErrConflict
	}
	s.days[k] += e.GrantPoints
	s.points[bk] += e.Entry.Points
	s.owed[bk] -= e.RepaidPoints
	s.claims[e.UserID+"/"+e.Entry.TransferID] = reward.Claim{Earned: true, Points: e.GrantPoints, AmountMinor: e.AmountMinor,
		RefundedMinor: cl.RefundedMinor, ClawedPoints: e.ClawedPoints}
	if e.Entry.Points != 0 {
		s.earned = append(s.earned, earned{e.UserID, e.Entry, e.Day})
	}
	return nil
}

func (s *fakeStore) init() {
	if s.days == nil {
		s.days, s.points, s.owed, s.claims, s.clawedBy = map[string]int64{}, map[string]int64{}, map[string]int64{},
			map[string]reward.Claim{}, map[string]bool{}
	}
}

func (s *fakeStore) Claim(_ context.Context, userID, transferID string) (reward.Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return s.claims[userID+"/"+transferID], nil
}

func (s *fakeStore) Points(_ context.Context, userID, currency string) (int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return s.points[userID+"/"+currency], s.owed[userID+"/"+currency], nil
}

// Clawback keeps the store's rules: once per refund, conditional on the claim as read
// and on the balance holding what is taken.
func (s *fakeStore) Clawback(_ context.Context, c reward.Clawback) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.clawedBy[c.RefundID] {
		return nil
	}
	ck, bk := c.UserID+"/"+c.TransferID, c.UserID+"/"+c.Currency
	if s.claims[ck] != c.Claim || s.points[bk] < c.TakenPoints {
		return retry.ErrConflict
	}
	cl := c.Claim
	cl.RefundedMinor, cl.ClawedPoints = c.RefundedMinor, c.ClawedPoints
	s.claims[ck] = cl
	s.points[bk] -= c.TakenPoints
	s.owed[bk] += c.OwedPoints
	s.clawedBy[c.RefundID] = true
	s.clawbacks = append(s.clawbacks, c)
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
	payer     = op.Caller{UserID: "u-payer"}
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
			if len(tt.want) > 0 {
				assert.Equal(t, 1, store.standingReads, "an earn reads the points balance once")
			}
		})
	}
}

func TestHandleRedeliveryEarnsOnce(t *testing.T) {
	store := &fakeStore{}
	svc := newService(store, &idemtest.Store{})
	svc.PointsPerDayMax = 1000 // room for both deliveries: the claim, not the cap, deduplicates
	e := sample(t, "completed")
	require.NoError(t, svc.Handle(context.Background(), e))
	e.Time = e.Time.Add(time.Hour) // a second event about the same transfer, at another time
	require.NoError(t, svc.Handle(context.Background(), e))
	assert.Len(t, store.earned, 1)
	p, _, err := store.Points(context.Background(), "u-payer", "USD")
	require.NoError(t, err)
	assert.Equal(t, int64(123), p)
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
