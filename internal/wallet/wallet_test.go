package wallet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
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
	ownerCaller = wallet.Caller{UserID: owner}
	adminCaller = wallet.Caller{UserID: "admin-1", IsAdmin: true}
	limits      = ledger.CreditLimits{PerCreditMaxMinor: ledger.DefaultCreditMaxMinor, DailyMaxMinor: ledger.DefaultCreditDailyMaxMinor}
	fixedNow    = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
)

// memStore is an in-memory wallet.Store: Commit checks each wallet's Before version.
type memStore struct {
	mu          sync.Mutex
	wallets     map[string]ledger.Wallet
	postings    []ledger.Posting
	completions []idempotency.Completion
	readN       int
	commitN     int // Commit calls
	// beforeCommit runs at the start of each Commit, one per call; it may change
	// the stored state (another writer) or return an error to answer with.
	beforeCommit []func(s *memStore) error
}

var _ wallet.Store = (*memStore)(nil)

func newMemStore(ws ...ledger.Wallet) *memStore {
	s := &memStore{wallets: map[string]ledger.Wallet{}}
	for _, w := range ws {
		s.wallets[w.ID] = w
	}
	return s
}

func (s *memStore) CreateWallet(_ context.Context, w ledger.Wallet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wallets[w.ID] = w
	return nil
}

func (s *memStore) Wallet(_ context.Context, id string) (ledger.Wallet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readN++
	w, ok := s.wallets[id]
	if !ok {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return w, nil
}

func (s *memStore) WalletsOf(context.Context, string) ([]ledger.Wallet, error) {
	return nil, errors.New("memStore: WalletsOf not used")
}

func (s *memStore) Commit(_ context.Context, c wallet.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commitN++
	if len(s.beforeCommit) > 0 {
		hook := s.beforeCommit[0]
		s.beforeCommit = s.beforeCommit[1:]
		if err := hook(s); err != nil {
			return err
		}
	}
	for _, wc := range c.Wallets {
		if cur, ok := s.wallets[wc.Before.ID]; !ok || cur.Version != wc.Before.Version {
			return wallet.ErrConflict
		}
	}
	if c.Posting != nil {
		if err := c.Posting.Validate(); err != nil {
			return fmt.Errorf("memStore: %w", err)
		}
		s.postings = append(s.postings, *c.Posting)
	}
	for _, wc := range c.Wallets {
		s.wallets[wc.After.ID] = wc.After
	}
	if c.Completion != nil {
		s.completions = append(s.completions, *c.Completion)
	}
	return nil
}

func (s *memStore) Entries(context.Context, string, int, string) ([]ledger.Entry, string, error) {
	return nil, "", errors.New("memStore: Entries not used")
}

func (s *memStore) Snapshot(context.Context) (ledger.Snapshot, error) {
	return ledger.Snapshot{}, errors.New("memStore: Snapshot not used")
}

func (s *memStore) wallet(id string) ledger.Wallet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wallets[id]
}

func activeWallet(balance int64) ledger.Wallet {
	return ledger.Wallet{ID: walletID, OwnerID: owner, Currency: "USD", BalanceMinor: balance, Status: ledger.StatusActive, Version: 7}
}

func newService(ws ...ledger.Wallet) (*wallet.Service, *memStore, *idemtest.Store) {
	store, idem := newMemStore(ws...), &idemtest.Store{}
	return wallet.NewService(store, idem, limits, func() time.Time { return fixedNow }), store, idem
}

func TestCreditRefusesBeforeClaiming(t *testing.T) {
	tests := map[string]struct {
		walletID string
		key      string
		in       wallet.CreditInput
		wantCode string
		wantRead bool // whether the wallet is read before the refusal
	}{
		"missing key":         {walletID, "", wallet.CreditInput{Amount: 100}, "idempotency_key_required", false},
		"key with a space":    {walletID, "a b", wallet.CreditInput{Amount: 100}, "invalid_idempotency_key", false},
		"key too long":        {walletID, strings.Repeat("k", 256), wallet.CreditInput{Amount: 100}, "invalid_idempotency_key", false},
		"zero amount":         {walletID, idemKey, wallet.CreditInput{Amount: 0}, "invalid_amount", false},
		"negative amount":     {walletID, idemKey, wallet.CreditInput{Amount: -5}, "invalid_amount", false},
		"long description":    {walletID, idemKey, wallet.CreditInput{Amount: 100, Description: strings.Repeat("é", 141)}, "invalid_description", false},
		"control character":   {walletID, idemKey, wallet.CreditInput{Amount: 100, Description: "line\nbreak"}, "invalid_description", false},
		"invalid UTF-8":       {walletID, idemKey, wallet.CreditInput{Amount: 100, Description: "\xff"}, "invalid_description", false},
		"malformed wallet id": {"not-a-uuid", idemKey, wallet.CreditInput{Amount: 100}, "not_found", false},
		"unknown wallet":      {"0b000000-0000-4000-8000-000000000002", idemKey, wallet.CreditInput{Amount: 100}, "not_found", true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			svc, store, idem := newService(activeWallet(0))

			_, err := svc.Credit(context.Background(), ownerCaller, tt.walletID, tt.key, tt.in)
			p, ok := problem.As(err)
			require.True(t, ok, "err = %v", err)
			assert.Equal(t, tt.wantCode, p.Code)
			assert.Empty(t, idem.Begun(), "nothing is claimed for a refused request")
			assert.Zero(t, store.commitN)
			assert.Equal(t, tt.wantRead, store.readN > 0)
		})
	}
}

func TestCreditStrangersWalletIsNotFound(t *testing.T) {
	svc, store, idem := newService(activeWallet(0))

	_, err := svc.Credit(context.Background(), wallet.Caller{UserID: stranger}, walletID, idemKey, wallet.CreditInput{Amount: 100})
	assert.ErrorIs(t, err, problem.ErrNotFound)
	assert.Empty(t, idem.Begun())
	assert.Zero(t, store.commitN)
}

func TestCreditCommits(t *testing.T) {
	svc, store, idem := newService(activeWallet(1_000))

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 250, Description: "top-up"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, res.StatusCode)
	assert.False(t, res.Replayed)
	var v wallet.CreditView
	require.NoError(t, json.Unmarshal(res.Body, &v))
	assert.Equal(t, int64(250), v.Amount)
	assert.Equal(t, int64(1_250), v.BalanceAfter)
	assert.Equal(t, "USD", v.Currency)

	assert.Equal(t, int64(1_250), store.wallet(walletID).BalanceMinor)
	require.Len(t, store.postings, 1)
	assert.Equal(t, v.ID, store.postings[0].ID)
	require.Len(t, store.completions, 1, "the key is completed in the same commit")
	assert.Equal(t, idem.Begun()[0], store.completions[0].Claim)
	assert.Equal(t, res.Body, store.completions[0].Response.Body)
	assert.Empty(t, idem.Released())
}

func TestCreditReplay(t *testing.T) {
	svc, store, idem := newService(activeWallet(1_000))
	stored := []byte(`{"id":"p-1","amount":250}`)
	idem.Replay = &idempotency.Response{StatusCode: http.StatusCreated, Body: stored}

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 250})
	require.NoError(t, err)
	assert.True(t, res.Replayed)
	assert.Equal(t, http.StatusCreated, res.StatusCode)
	assert.Equal(t, stored, res.Body)
	assert.Zero(t, store.commitN, "a replay writes nothing")
	assert.Equal(t, int64(1_000), store.wallet(walletID).BalanceMinor)
	assert.Empty(t, idem.Released())
}

func TestCreditBeginError(t *testing.T) {
	svc, store, idem := newService(activeWallet(0))
	idem.BeginErr = idempotency.ErrKeyReused

	_, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 100})
	assert.ErrorIs(t, err, idempotency.ErrKeyReused)
	assert.Zero(t, store.commitN)
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
				store.beforeCommit = append(store.beforeCommit, func(*memStore) error { return tt.commitErr })
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
			assert.Equal(t, tt.wallet, store.wallet(walletID))
			assert.Empty(t, store.postings)
		})
	}
}

func TestCreditRetriesAConflict(t *testing.T) {
	svc, store, idem := newService(activeWallet(1_000))
	// Another credit of 40 lands between this request's read and its write.
	store.beforeCommit = append(store.beforeCommit, func(s *memStore) error {
		w := s.wallets[walletID]
		w.BalanceMinor += 40
		w.Version++
		s.wallets[walletID] = w
		return nil
	})

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 100})
	require.NoError(t, err)
	assert.Equal(t, 2, store.commitN)
	assert.Equal(t, int64(1_140), store.wallet(walletID).BalanceMinor, "the second attempt builds on the fresh state")
	var v wallet.CreditView
	require.NoError(t, json.Unmarshal(res.Body, &v))
	assert.Equal(t, int64(1_140), v.BalanceAfter)
	require.Len(t, store.postings, 1)
	assert.Equal(t, v.ID, store.postings[0].ID)
	require.Len(t, store.completions, 1)
	assert.Equal(t, res.Body, store.completions[0].Response.Body, "the stored answer is the one returned")
	assert.Empty(t, idem.Released())
}

func withStatus(w ledger.Wallet, st ledger.Status) ledger.Wallet {
	w.Status = st
	return w
}

func TestChangeStatus(t *testing.T) {
	strangerCaller := wallet.Caller{UserID: stranger}
	tests := map[string]struct {
		wallet     ledger.Wallet
		caller     wallet.Caller
		to         ledger.Status
		wantKind   problem.Kind // 0: accepted
		wantCode   string
		wantStatus ledger.Status
		wantCommit bool
	}{
		"owner freezes": {wallet: activeWallet(0), caller: ownerCaller, to: ledger.StatusFrozen,
			wantKind: problem.KindForbidden, wantCode: "forbidden"},
		"owner unfreezes": {wallet: withStatus(activeWallet(0), ledger.StatusFrozen), caller: ownerCaller, to: ledger.StatusActive,
			wantKind: problem.KindForbidden, wantCode: "forbidden"},
		"admin closes": {wallet: activeWallet(0), caller: adminCaller, to: ledger.StatusClosed,
			wantKind: problem.KindForbidden, wantCode: "forbidden"},
		"owner closes a wallet with money": {wallet: activeWallet(1), caller: ownerCaller, to: ledger.StatusClosed,
			wantKind: problem.KindUnprocessable, wantCode: "wallet_not_empty"},
		"owner closes a wallet with a hold": {wallet: func() ledger.Wallet { w := activeWallet(50); w.HeldMinor = 50; return w }(),
			caller: ownerCaller, to: ledger.StatusClosed, wantKind: problem.KindUnprocessable, wantCode: "wallet_not_empty"},
		"stranger freezes": {wallet: activeWallet(0), caller: strangerCaller, to: ledger.StatusFrozen,
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"stranger closes": {wallet: activeWallet(0), caller: strangerCaller, to: ledger.StatusClosed,
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"reopen a closed wallet": {wallet: withStatus(activeWallet(0), ledger.StatusClosed), caller: adminCaller, to: ledger.StatusActive,
			wantKind: problem.KindUnprocessable, wantCode: "wallet_closed"},
		"unknown status": {wallet: activeWallet(0), caller: adminCaller, to: "PAUSED",
			wantKind: problem.KindInvalid, wantCode: "invalid_status"},
		"admin freezes": {wallet: activeWallet(500), caller: adminCaller, to: ledger.StatusFrozen,
			wantStatus: ledger.StatusFrozen, wantCommit: true},
		"admin unfreezes": {wallet: withStatus(activeWallet(500), ledger.StatusFrozen), caller: adminCaller, to: ledger.StatusActive,
			wantStatus: ledger.StatusActive, wantCommit: true},
		"owner closes an empty wallet": {wallet: activeWallet(0), caller: ownerCaller, to: ledger.StatusClosed,
			wantStatus: ledger.StatusClosed, wantCommit: true},
		"admin freezes a frozen wallet": {wallet: withStatus(activeWallet(0), ledger.StatusFrozen), caller: adminCaller, to: ledger.StatusFrozen,
			wantStatus: ledger.StatusFrozen},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			svc, store, _ := newService(tt.wallet)

			v, err := svc.ChangeStatus(context.Background(), tt.caller, walletID, wallet.PatchInput{Status: string(tt.to)})
			if tt.wantCode != "" {
				p, ok := problem.As(err)
				require.True(t, ok, "err = %v", err)
				assert.Equal(t, tt.wantKind, p.Kind)
				assert.Equal(t, tt.wantCode, p.Code)
				assert.Zero(t, store.commitN)
				assert.Equal(t, tt.wallet, store.wallet(walletID))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, string(tt.wantStatus), v.Status)
			assert.Equal(t, tt.wantStatus, store.wallet(walletID).Status)
			if tt.wantCommit {
				assert.Equal(t, 1, store.commitN)
				assert.Equal(t, tt.wallet.Version+1, store.wallet(walletID).Version)
			} else {
				assert.Zero(t, store.commitN, "no change, no write")
			}
		})
	}
}

func TestChangeStatusMalformedIDTouchesNothing(t *testing.T) {
	for _, id := range []string{"", "not-a-uuid", strings.ToUpper(walletID), walletID + "x", "../" + walletID} {
		t.Run(id, func(t *testing.T) {
			svc, store, _ := newService(activeWallet(0))
			_, err := svc.ChangeStatus(context.Background(), adminCaller, id, wallet.PatchInput{Status: string(ledger.StatusFrozen)})
			assert.ErrorIs(t, err, problem.ErrNotFound)
			assert.Zero(t, store.readN, "refused before any read")
			assert.Zero(t, store.commitN)
		})
	}
}

func TestChangeStatusRetriesAConflict(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	store.beforeCommit = append(store.beforeCommit, func(s *memStore) error {
		w := s.wallets[walletID]
		w.BalanceMinor, w.Version = 30, w.Version+1 // a credit landed meanwhile
		s.wallets[walletID] = w
		return nil
	})

	v, err := svc.ChangeStatus(context.Background(), adminCaller, walletID, wallet.PatchInput{Status: string(ledger.StatusFrozen)})
	require.NoError(t, err)
	assert.Equal(t, 2, store.commitN)
	assert.Equal(t, string(ledger.StatusFrozen), v.Status)
	assert.Equal(t, int64(30), store.wallet(walletID).BalanceMinor, "the concurrent credit is kept")
}
