package wallet_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/serverless-wallet/wallet/internal/audit"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/wallet"
	"github.com/serverless-wallet/wallet/internal/wallet/wallettest"
)

// memStore is an in-memory wallet.Store: Commit applies each delta under its rules
// (ledger.ApplyAll) and writes a posting once, SetStatus checks the version it was
// decided at; TestMemStoreConforms holds it to the DynamoDB store's behaviour.
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
	if c.Posting != nil {
		for _, p := range s.postings {
			if p.ID == c.Posting.ID { // the DynamoDB store writes each entry on condition it is new
				return fmt.Errorf("memStore: posting %s written twice", p.ID)
			}
		}
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

func (s *memStore) SetStatus(_ context.Context, before, after ledger.Wallet, _ *audit.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nextWrite(); err != nil {
		return err
	}
	cur, ok := s.wallets[before.ID]
	if !ok || cur.Version != before.Version ||
		(after.Status == ledger.StatusClosed && (cur.BalanceMinor != 0 || cur.HeldMinor != 0)) {
		return retry.ErrConflict
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

// TestMemStoreConforms: the fake keeps the rules the DynamoDB store keeps
// (internal/dynamo runs the same suite on the local engine).
func TestMemStoreConforms(t *testing.T) {
	wallettest.Run(t, func(t *testing.T) wallettest.Fixture {
		w := activeWallet(0)
		return wallettest.Fixture{Store: newMemStore(w), Wallet: w}
	})
}
