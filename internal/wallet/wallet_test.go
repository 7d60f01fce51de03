package wallet_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

const (
	walletID = "0a000000-0000-4000-8000-000000000001"
	owner    = "user-a"
	stranger = "user-b"
	idemKey  = "key-1"
)

var (
	ownerCaller = op.Caller{UserID: owner}
	adminCaller = op.Caller{UserID: "admin-1", Role: auth.RoleAdmin}
	limits      = ledger.CreditLimits{PerCreditMaxMinor: ledger.DefaultCreditMaxMinor, DailyMaxMinor: ledger.DefaultCreditDailyMaxMinor}
	fixedNow    = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
)

// TestCreateAfterALostRace: a wallet creation cancelled by a concurrent write is
// tried again and then written once.
func TestCreateAfterALostRace(t *testing.T) {
	store := &racingStore{Store: memstore.New(), losses: 2}
	svc := wallet.NewService(store, &idemtest.Store{}, limits, func() time.Time { return fixedNow })
	v, err := svc.Create(context.Background(), ownerCaller, wallet.CreateInput{Currency: "EUR"})
	require.NoError(t, err)
	assert.Equal(t, 3, store.calls)
	got, err := store.Wallet(context.Background(), v.ID)
	require.NoError(t, err)
	assert.Equal(t, "EUR", got.Currency)
}

// TestCreditRefusals: a key that is not a valid key is refused before anything; every
// other refusal comes after the key is claimed (so a completed key replays first) and
// frees the key again, having written nothing.
func TestCreditRefusals(t *testing.T) {
	tests := map[string]struct {
		walletID  string
		key       string
		in        wallet.CreditInput
		wantCode  string
		wantClaim bool // whether the key was claimed (and released) before the refusal
		wantRead  bool // whether the wallet was read before the refusal
	}{
		"missing key":         {walletID, "", wallet.CreditInput{Amount: 100}, "idempotency_key_required", false, false},
		"key with a space":    {walletID, "a b", wallet.CreditInput{Amount: 100}, "invalid_idempotency_key", false, false},
		"key too long":        {walletID, strings.Repeat("k", 256), wallet.CreditInput{Amount: 100}, "invalid_idempotency_key", false, false},
		"zero amount":         {walletID, idemKey, wallet.CreditInput{Amount: 0}, "invalid_amount", true, false},
		"negative amount":     {walletID, idemKey, wallet.CreditInput{Amount: -5}, "invalid_amount", true, false},
		"long description":    {walletID, idemKey, wallet.CreditInput{Amount: 100, Description: strings.Repeat("é", 141)}, "invalid_description", true, false},
		"control character":   {walletID, idemKey, wallet.CreditInput{Amount: 100, Description: "line\nbreak"}, "invalid_description", true, false},
		"invalid UTF-8":       {walletID, idemKey, wallet.CreditInput{Amount: 100, Description: "\xff"}, "invalid_description", true, false},
		"malformed wallet id": {"not-a-uuid", idemKey, wallet.CreditInput{Amount: 100}, "not_found", true, false},
		"unknown wallet":      {"0b000000-0000-4000-8000-000000000002", idemKey, wallet.CreditInput{Amount: 100}, "not_found", true, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			svc, store, idem := newService(activeWallet(0))

			_, err := svc.Credit(context.Background(), ownerCaller, tt.walletID, tt.key, tt.in)
			p, ok := problem.As(err)
			require.True(t, ok, "err = %v", err)
			assert.Equal(t, tt.wantCode, p.Code)
			if tt.wantClaim {
				require.Len(t, idem.Begun(), 1)
				assert.Equal(t, idem.Begun(), idem.Released(), "the key is free again")
			} else {
				assert.Empty(t, idem.Begun())
			}
			assert.Zero(t, store.Writes)
			assert.Equal(t, tt.wantRead, store.Reads > 0)
		})
	}
}

// TestCreditOnlyByTheOwner: nobody else credits a wallet, admins included.
func TestCreditOnlyByTheOwner(t *testing.T) {
	for name, c := range map[string]op.Caller{"stranger": {UserID: stranger}, "admin": adminCaller} {
		t.Run(name, func(t *testing.T) {
			svc, store, idem := newService(activeWallet(0))

			_, err := svc.Credit(context.Background(), c, walletID, idemKey, wallet.CreditInput{Amount: 100})
			assert.ErrorIs(t, err, problem.ErrNotFound)
			assert.Equal(t, idem.Begun(), idem.Released())
			assert.Zero(t, store.Writes)
			assert.Zero(t, store.StoredWallet(walletID).BalanceMinor)
		})
	}
}

// TestCreditReplaysBeforeChecking: a completed key answers with its stored response
// even when the wallet has been frozen since.
func TestCreditReplaysBeforeChecking(t *testing.T) {
	svc, store, idem := newService(withStatus(activeWallet(1_000), ledger.StatusFrozen))
	stored := []byte(`{"id":"p-1","amount":250}`)
	idem.Replay = &idempotency.Response{Outcome: string(op.Created), Body: stored}

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 250})
	require.NoError(t, err)
	assert.True(t, res.Replayed)
	assert.Equal(t, stored, res.Body)
	assert.Zero(t, store.Reads, "no check ran before the replay")
}

func TestCreditCommits(t *testing.T) {
	svc, store, idem := newService(activeWallet(1_000))

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 250, Description: "top-up"})
	require.NoError(t, err)
	assert.Equal(t, op.Created, res.Outcome)
	assert.False(t, res.Replayed)
	var v wallet.CreditView
	require.NoError(t, json.Unmarshal(res.Body, &v))
	assert.Equal(t, int64(250), v.Amount)
	assert.Equal(t, "USD", v.Currency)

	assert.Equal(t, int64(1_250), store.StoredWallet(walletID).BalanceMinor)
	require.Len(t, store.Postings, 1)
	assert.Equal(t, v.ID, store.Postings[0].ID)
	require.Len(t, store.Completions, 1, "the key is completed in the same commit")
	assert.Equal(t, idem.Begun()[0], store.Completions[0].Claim)
	assert.Equal(t, res.Body, store.Completions[0].Response.Body)
	assert.Empty(t, idem.Released())
}

func TestCreditReplay(t *testing.T) {
	svc, store, idem := newService(activeWallet(1_000))
	stored := []byte(`{"id":"p-1","amount":250}`)
	idem.Replay = &idempotency.Response{Outcome: string(op.Created), Body: stored}

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 250})
	require.NoError(t, err)
	assert.True(t, res.Replayed)
	assert.Equal(t, op.Created, res.Outcome)
	assert.Equal(t, stored, res.Body)
	assert.Zero(t, store.Writes, "a replay writes nothing")
	assert.Equal(t, int64(1_000), store.StoredWallet(walletID).BalanceMinor)
	assert.Empty(t, idem.Released())
}

func TestCreditBeginError(t *testing.T) {
	svc, store, idem := newService(activeWallet(0))
	idem.BeginErr = idempotency.ErrKeyReused

	_, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 100})
	assert.ErrorIs(t, err, idempotency.ErrKeyReused)
	assert.Zero(t, store.Writes)
	assert.Empty(t, idem.Released(), "a key that was not claimed is not released")
}

func TestCreditFailures(t *testing.T) {
	tests := map[string]struct {
		wallet       ledger.Wallet
		amount       int64
		commitErr    error
		wantErr      error
		wantReleased bool
	}{
		"frozen wallet":        {wallet: withStatus(activeWallet(0), ledger.StatusFrozen), amount: 100, wantErr: ledger.ErrWalletNotActive, wantReleased: true},
		"above the per-credit": {wallet: activeWallet(0), amount: ledger.DefaultCreditMaxMinor + 1, wantErr: ledger.ErrLimitExceeded, wantReleased: true},
		"store failure":        {wallet: activeWallet(0), amount: 100, commitErr: errors.New("throttled"), wantReleased: true},
		"claim lost":           {wallet: activeWallet(0), amount: 100, commitErr: idempotency.ErrInProgress, wantErr: idempotency.ErrInProgress},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			svc, store, idem := newService(tt.wallet)
			if tt.commitErr != nil {
				store.BeforeWrite = append(store.BeforeWrite, func(*memstore.Store) error { return tt.commitErr })
			}

			_, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: money.Minor(tt.amount)})
			require.Error(t, err)
			want := tt.wantErr
			if want == nil {
				want = tt.commitErr
			}
			assert.ErrorIs(t, err, want)
			require.Len(t, idem.Begun(), 1)
			if tt.wantReleased {
				require.Len(t, idem.Released(), 1, "the key may be retried")
				assert.Equal(t, idem.Begun()[0], idem.Released()[0])
			} else {
				assert.Empty(t, idem.Released(), "a claim lost to another request is not ours to release")
			}
			assert.Equal(t, tt.wallet, store.StoredWallet(walletID))
			assert.Empty(t, store.Postings)
		})
	}
}

// TestCreditAddsWithoutConflict: a credit that lands between this request's read and
// its write does not make it retry; both add to the stored balance.
func TestCreditAddsWithoutConflict(t *testing.T) {
	svc, store, idem := newService(activeWallet(1_000))
	store.BeforeWrite = append(store.BeforeWrite, func(s *memstore.Store) error {
		w := s.Wallets[walletID]
		w.BalanceMinor += 40
		s.Wallets[walletID] = w
		return nil
	})

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 100})
	require.NoError(t, err)
	assert.Equal(t, 1, store.Writes, "one write, no retry")
	assert.Equal(t, int64(1_140), store.StoredWallet(walletID).BalanceMinor)
	var v wallet.CreditView
	require.NoError(t, json.Unmarshal(res.Body, &v))
	require.Len(t, store.Postings, 1)
	assert.Equal(t, v.ID, store.Postings[0].ID)
	require.Len(t, store.Completions, 1)
	assert.Equal(t, res.Body, store.Completions[0].Response.Body, "the stored answer is the one returned")
	assert.Empty(t, idem.Released())
}

// TestCreditRaces covers what the store's rules decide when the wallet changed
// between the read and the write.
func TestCreditRaces(t *testing.T) {
	tests := map[string]struct {
		change      func(w *ledger.Wallet)
		wantErr     error
		wantCommits int
		wantBalance int64
	}{
		"frozen meanwhile": {change: func(w *ledger.Wallet) { w.Status = ledger.StatusFrozen },
			wantErr: ledger.ErrWalletNotActive, wantCommits: 1, wantBalance: 1_000},
		"daily counter started meanwhile, under the limit": {change: func(w *ledger.Wallet) { w.CreditDay, w.CreditDayTotalMinor = fixedNow.Format(time.DateOnly), 500 },
			wantCommits: 2, wantBalance: 1_100},
		"daily counter started meanwhile, at the limit": {change: func(w *ledger.Wallet) {
			w.CreditDay, w.CreditDayTotalMinor = fixedNow.Format(time.DateOnly), ledger.DefaultCreditDailyMaxMinor
		}, wantErr: ledger.ErrLimitExceeded, wantCommits: 1, wantBalance: 1_000}, // the retry refuses on what it reads
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			svc, store, idem := newService(activeWallet(1_000))
			store.BeforeWrite = append(store.BeforeWrite, func(s *memstore.Store) error {
				w := s.Wallets[walletID]
				tt.change(&w)
				s.Wallets[walletID] = w
				return nil
			})
			_, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 100})
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Len(t, idem.Released(), 1, "a refused credit frees its key")
				assert.Empty(t, store.Postings)
			} else {
				require.NoError(t, err)
				assert.Len(t, store.Postings, 1)
			}
			assert.Equal(t, tt.wantCommits, store.Writes)
			assert.Equal(t, tt.wantBalance, store.StoredWallet(walletID).BalanceMinor)
		})
	}
}
