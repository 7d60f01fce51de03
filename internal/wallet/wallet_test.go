package wallet_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
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

// memStore is an in-memory wallet.Store: Commit applies each delta under its rules
// (ledger.ApplyAll), SetStatus checks the version it was decided at.
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
	onEntries    func(s *memStore)
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

// nextWrite counts a write and runs the next beforeCommit hook, if any; the caller
// holds s.mu.
func (s *memStore) nextWrite() error {
	s.commitN++
	if len(s.beforeCommit) == 0 {
		return nil
	}
	hook := s.beforeCommit[0]
	s.beforeCommit = s.beforeCommit[1:]
	return hook(s)
}

func (s *memStore) Commit(_ context.Context, c wallet.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nextWrite(); err != nil {
		return err
	}
	if err := ledger.ApplyAll(s.wallets, c.Deltas, c.Posting); err != nil {
		return err
	}
	if c.Posting != nil {
		s.postings = append(s.postings, *c.Posting)
	}
	if c.Completion != nil {
		s.completions = append(s.completions, *c.Completion)
	}
	return nil
}

func (s *memStore) SetStatus(_ context.Context, before, after ledger.Wallet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nextWrite(); err != nil {
		return err
	}
	cur, ok := s.wallets[before.ID]
	if !ok || cur.Version != before.Version ||
		(after.Status == ledger.StatusClosed && (cur.BalanceMinor != 0 || cur.HeldMinor != 0)) {
		return wallet.ErrConflict
	}
	cur.Status, cur.Version, cur.UpdatedAt = after.Status, after.Version, after.UpdatedAt
	s.wallets[before.ID] = cur
	return nil
}

// Entries pages the wallet's posted entries newest first (by time, then id, as the
// DynamoDB store sorts them); the position is the last entry's id. onEntries runs
// once, after the page is read: a posting that lands while a statement is read.
func (s *memStore) Entries(_ context.Context, walletID string, limit int, after string) ([]ledger.Entry, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []ledger.Entry
	for _, p := range s.postings {
		for _, e := range p.Entries {
			if e.Account == walletID {
				all = append(all, e)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].CreatedAt.After(all[j].CreatedAt)
		}
		return all[i].ID > all[j].ID
	})
	start := 0
	if after != "" {
		start = len(all)
		for i, e := range all {
			if e.ID == after {
				start = i + 1
			}
		}
	}
	page := all[start:min(start+limit, len(all))]
	next := ""
	if len(page) == limit {
		next = page[len(page)-1].ID
	}
	if hook := s.onEntries; hook != nil {
		s.onEntries = nil
		hook(s)
	}
	return append([]ledger.Entry(nil), page...), next, nil
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
			assert.Zero(t, store.commitN)
			assert.Equal(t, tt.wantRead, store.readN > 0)
		})
	}
}

// TestCreditOnlyByTheOwner: nobody else credits a wallet, admins included.
func TestCreditOnlyByTheOwner(t *testing.T) {
	for name, c := range map[string]wallet.Caller{"stranger": {UserID: stranger}, "admin": adminCaller} {
		t.Run(name, func(t *testing.T) {
			svc, store, idem := newService(activeWallet(0))

			_, err := svc.Credit(context.Background(), c, walletID, idemKey, wallet.CreditInput{Amount: 100})
			assert.ErrorIs(t, err, problem.ErrNotFound)
			assert.Equal(t, idem.Begun(), idem.Released())
			assert.Zero(t, store.commitN)
			assert.Zero(t, store.wallet(walletID).BalanceMinor)
		})
	}
}

// TestCreditReplaysBeforeChecking: a completed key answers with its stored response
// even when the wallet has been frozen since.
func TestCreditReplaysBeforeChecking(t *testing.T) {
	svc, store, idem := newService(withStatus(activeWallet(1_000), ledger.StatusFrozen))
	stored := []byte(`{"id":"p-1","amount":250}`)
	idem.Replay = &idempotency.Response{StatusCode: http.StatusCreated, Body: stored}

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 250})
	require.NoError(t, err)
	assert.True(t, res.Replayed)
	assert.Equal(t, stored, res.Body)
	assert.Zero(t, store.readN, "no check ran before the replay")
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

// TestCreditAddsWithoutConflict: a credit that lands between this request's read and
// its write does not make it retry; both add to the stored balance.
func TestCreditAddsWithoutConflict(t *testing.T) {
	svc, store, idem := newService(activeWallet(1_000))
	store.beforeCommit = append(store.beforeCommit, func(s *memStore) error {
		w := s.wallets[walletID]
		w.BalanceMinor += 40
		s.wallets[walletID] = w
		return nil
	})

	res, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 100})
	require.NoError(t, err)
	assert.Equal(t, 1, store.commitN, "one write, no retry")
	assert.Equal(t, int64(1_140), store.wallet(walletID).BalanceMinor)
	var v wallet.CreditView
	require.NoError(t, json.Unmarshal(res.Body, &v))
	require.Len(t, store.postings, 1)
	assert.Equal(t, v.ID, store.postings[0].ID)
	require.Len(t, store.completions, 1)
	assert.Equal(t, res.Body, store.completions[0].Response.Body, "the stored answer is the one returned")
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
			store.beforeCommit = append(store.beforeCommit, func(s *memStore) error {
				w := s.wallets[walletID]
				tt.change(&w)
				s.wallets[walletID] = w
				return nil
			})
			_, err := svc.Credit(context.Background(), ownerCaller, walletID, idemKey, wallet.CreditInput{Amount: 100})
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Len(t, idem.Released(), 1, "a refused credit frees its key")
				assert.Empty(t, store.postings)
			} else {
				require.NoError(t, err)
				assert.Len(t, store.postings, 1)
			}
			assert.Equal(t, tt.wantCommits, store.commitN)
			assert.Equal(t, tt.wantBalance, store.wallet(walletID).BalanceMinor)
		})
	}
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
		"owner closes a frozen wallet": {wallet: withStatus(activeWallet(0), ledger.StatusFrozen), caller: ownerCaller, to: ledger.StatusClosed,
			wantKind: problem.KindUnprocessable, wantCode: "wallet_not_active"},
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
		w.Version++ // another status change landed meanwhile (an unfreeze of nothing, say)
		s.wallets[walletID] = w
		return nil
	})

	v, err := svc.ChangeStatus(context.Background(), adminCaller, walletID, wallet.PatchInput{Status: string(ledger.StatusFrozen)})
	require.NoError(t, err)
	assert.Equal(t, 2, store.commitN)
	assert.Equal(t, string(ledger.StatusFrozen), v.Status)
}

// TestCloseRefusedWhenMoneyArrivesMeanwhile: a credit that lands between the close's
// read (balance 0) and its write keeps the wallet open.
func TestCloseRefusedWhenMoneyArrivesMeanwhile(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	store.beforeCommit = append(store.beforeCommit, func(s *memStore) error {
		w := s.wallets[walletID]
		w.BalanceMinor = 30 // money changes do not move the version
		s.wallets[walletID] = w
		return nil
	})

	_, err := svc.ChangeStatus(context.Background(), ownerCaller, walletID, wallet.PatchInput{Status: string(ledger.StatusClosed)})
	assert.ErrorIs(t, err, ledger.ErrWalletNotEmpty)
	assert.Equal(t, ledger.StatusActive, store.wallet(walletID).Status)
	assert.Equal(t, int64(30), store.wallet(walletID).BalanceMinor)
}

// TestStatementRunningBalances: balances are computed when a statement is read, the
// cursor carries them across pages, and a cursor fits only its own wallet.
func TestStatementRunningBalances(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	ctx := context.Background()
	amounts := []int64{100, 250, 40, 7, 1_000}
	for i, a := range amounts {
		_, err := svc.Credit(ctx, ownerCaller, walletID, fmt.Sprintf("k-%d", i), wallet.CreditInput{Amount: money.Minor(a)})
		require.NoError(t, err)
	}
	var got []wallet.EntryView
	cursor := ""
	for page := 0; page < len(amounts); page++ {
		p, err := svc.Entries(ctx, ownerCaller, walletID, 2, cursor)
		require.NoError(t, err)
		got = append(got, p.Items...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	require.Len(t, got, len(amounts))
	var want int64
	for _, a := range amounts {
		want += a
	}
	for _, e := range got {
		assert.Equal(t, want, e.BalanceAfter, "entry %s", e.ID)
		want -= e.Amount
	}
	assert.Zero(t, want, "the oldest entry starts from zero")

	p, err := svc.Entries(ctx, ownerCaller, walletID, 2, "")
	require.NoError(t, err)
	require.NotNil(t, p.NextCursor)
	other := "0a000000-0000-4000-8000-000000000002"
	store.wallets[other] = ledger.Wallet{ID: other, OwnerID: owner, Currency: "USD", Status: ledger.StatusActive}
	for name, c := range map[string]string{
		"another wallet's cursor": *p.NextCursor,
		"not base64":              "%%%",
		"forged shape":            base64.RawURLEncoding.EncodeToString([]byte("s2|" + other + "|x")),
	} {
		_, err := svc.Entries(ctx, ownerCaller, other, 2, c)
		assert.ErrorIs(t, err, wallet.ErrInvalidCursor, name)
	}
}

// TestStatementFirstPageRereadsWhenAPostingLands: a posting that lands between the
// first page's reads makes it read again, so balances match the entries shown.
func TestStatementFirstPageRereadsWhenAPostingLands(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	ctx := context.Background()
	_, err := svc.Credit(ctx, ownerCaller, walletID, "k-1", wallet.CreditInput{Amount: 100})
	require.NoError(t, err)
	store.onEntries = func(s *memStore) {
		w := s.wallets[walletID]
		w.BalanceMinor += 5 // a posting commits after the page was read …
		w.EntryCount++
		s.wallets[walletID] = w
		s.postings = append(s.postings, ledger.Posting{ID: "late", Entries: []ledger.Entry{{ID: "late:0", PostingID: "late", Account: walletID,
			Currency: "USD", AmountMinor: 5, CreatedAt: fixedNow.Add(time.Second)}}})
	}
	p, err := svc.Entries(ctx, ownerCaller, walletID, 10, "")
	require.NoError(t, err)
	require.Len(t, p.Items, 2, "… so the page is read again and shows it")
	assert.Equal(t, int64(105), p.Items[0].BalanceAfter)
	assert.Equal(t, int64(100), p.Items[1].BalanceAfter)
}
