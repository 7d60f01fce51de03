// Package memstore is the one in-memory store the unit tests of the wallet and transfer
// use cases run on. It implements wallet.Store and transfer.Store over the same wallets
// and postings, and keeps the rules the DynamoDB store keeps: money moves only under the
// wallet rules (ledger.ApplyAll), a posting is written once, a transfer changes only from
// the version it was decided at, a status change likewise. The conformance suites
// (wallettest, transfertest) hold it to those rules in this package's tests, and the
// DynamoDB store to the same ones on the local engine.
//
// Its fields are the tests' window on the stored state. The hooks run with the store's
// lock held and may change the fields directly: another writer that lands first.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Store is an in-memory wallet.Store and transfer.Store.
type Store struct {
	mu      sync.Mutex
	Wallets map[string]ledger.Wallet
	// Shards are the wallets' receive shards by ledger.ShardKey, each kept as a
	// Wallet (its wallet's ID, status and currency; what it received).
	Shards      map[string]ledger.Wallet
	Transfers   map[string]transfer.Transfer
	Postings    []ledger.Posting
	Completions []idempotency.Completion

	Reads   int // Wallet and Transfer reads
	Writes  int // Commit, CommitTransfer and SetStatus calls, won or lost
	Commits int // Commit and CommitTransfer calls that wrote

	// Conflicts is how many of the next Commit, CommitTransfer or SetStatus calls lose
	// a race (retry.ErrConflict) before anything else is checked.
	Conflicts int
	// BeforeWrite runs at the start of each Commit, CommitTransfer or SetStatus, one a
	// call; it may change the stored state or return an error to answer with.
	BeforeWrite []func(s *Store) error
	// OnCreate runs once inside the next CreateTransfer, before its check: a racer
	// with the same key that writes first.
	OnCreate func(s *Store)
	// OnWalletRead runs once inside the next Wallet read: a racer that commits between
	// the caller's transfer read and its wallet read.
	OnWalletRead func(s *Store)
	// OnEntries runs once, after the next page of Entries is read: a posting that
	// lands while a statement is read.
	OnEntries func(s *Store)

	// Expired is the hold-expiry index ExpiredHolds pages through (the position is the
	// index in it); like the real index, it may name a transfer that has moved on.
	Expired      []string
	ExpiredAt    time.Time      // the last ExpiredHolds call's now
	ExpiredLimit int            // and its limit
	ExpiredPages int            // ExpiredHolds calls
	Forgotten    []string       // the ids ForgetHold dropped
	Indexed      map[string]int // list-entry writes per transfer id
	// Requests are the payment requests transfers pay (see AddRequest).
	Requests map[string]payrequest.Request

	// opening is each wallet's balance as New was given it, which Snapshot shows as an
	// opening posting from the external funding account: the money the test put there.
	opening map[string]ledger.Wallet
}

var (
	_ wallet.Store   = (*Store)(nil)
	_ transfer.Store = (*Store)(nil)
)

// New returns a store holding ws.
func New(ws ...ledger.Wallet) *Store {
	s := &Store{Wallets: map[string]ledger.Wallet{}, Shards: map[string]ledger.Wallet{}, Transfers: map[string]transfer.Transfer{}, Indexed: map[string]int{},
		opening: map[string]ledger.Wallet{}}
	for _, w := range ws {
		s.Wallets[w.ID] = w
		s.opening[w.ID] = w
		s.openShards(w)
	}
	return s
}

// CreateWallet stores w under the rules the DynamoDB store's creation transaction
// keeps, in its order: one wallet per owner and currency (wallet.ErrWalletExists), then
// at most wallet.WalletsPerOwnerMax per owner (wallet.ErrWalletLimit).
func (s *Store) CreateWallet(_ context.Context, w ledger.Wallet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	owned := 0
	for _, other := range s.Wallets {
		if other.OwnerID != w.OwnerID {
			continue
		}
		if other.Currency == w.Currency {
			return wallet.ErrWalletExists
		}
		owned++
	}
	if owned >= wallet.WalletsPerOwnerMax {
		return wallet.ErrWalletLimit
	}
	s.Wallets[w.ID] = w
	s.openShards(w)
	return nil
}

// Wallet reads a wallet (problem.ErrNotFound when there is none), after OnWalletRead.
func (s *Store) Wallet(_ context.Context, id string) (ledger.Wallet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if race := s.OnWalletRead; race != nil {
		s.OnWalletRead = nil
		race(s)
	}
	s.Reads++
	w, ok := s.Wallets[id]
	if !ok {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return ledger.WithShards(w, s.shardsOf(w)), nil
}

// WalletsOf is not used by the tests.
func (s *Store) WalletsOf(context.Context, string) ([]ledger.Wallet, error) {
	return nil, errors.New("memstore: WalletsOf not used")
}

// Transfer reads a transfer (problem.ErrNotFound when there is none).
func (s *Store) Transfer(_ context.Context, id string) (transfer.Transfer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Reads++
	t, ok := s.Transfers[id]
	if !ok {
		return transfer.Transfer{}, problem.ErrNotFound
	}
	return clone(t), nil
}

func clone(t transfer.Transfer) transfer.Transfer {
	t.Steps = append([]transfer.Step(nil), t.Steps...)
	t.RefundIDs = append([]string(nil), t.RefundIDs...)
	return t
}

// nextWrite counts a write, loses it to a racer while Conflicts lasts, and runs the
// next BeforeWrite hook, if any; the caller holds s.mu.
func (s *Store) nextWrite() error {
	s.Writes++
	if s.Conflicts > 0 {
		s.Conflicts--
		return retry.ErrConflict
	}
	if len(s.BeforeWrite) == 0 {
		return nil
	}
	hook := s.BeforeWrite[0]
	s.BeforeWrite = s.BeforeWrite[1:]
	return hook(s)
}

// apply writes deltas, posting and completion together or nothing, as the DynamoDB
// transaction does: each delta under its wallet rules, the posting on condition it is
// new, the completion on condition its key is not completed yet; the caller holds s.mu.
func (s *Store) apply(deltas []ledger.Delta, posting *ledger.Posting, completion *idempotency.Completion) error {
	if posting != nil {
		for _, p := range s.Postings {
			if p.ID == posting.ID {
				return fmt.Errorf("memstore: posting %s written twice", p.ID)
			}
		}
	}
	if completion != nil {
		for _, done := range s.Completions {
			// DynamoDB's completion is conditional on the record being IN_PROGRESS:
			// once completed, a second completion of the key fails the whole write.
			if done.Claim.UserID == completion.Claim.UserID && done.Claim.Key == completion.Claim.Key {
				return idempotency.ErrInProgress
			}
		}
	}
	if err := s.applySweeping(deltas, posting); err != nil {
		return err
	}
	if posting != nil {
		s.Postings = append(s.Postings, *posting)
	}
	if completion != nil {
		s.Completions = append(s.Completions, *completion)
	}
	s.Commits++
	return nil
}

// Commit writes a wallet change or nothing.
func (s *Store) Commit(_ context.Context, c wallet.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nextWrite(); err != nil {
		return err
	}
	return s.apply(c.Deltas, c.Posting, c.Completion)
}

// CommitTransfer writes a transfer change conditional on its Before version, or
// nothing.
func (s *Store) CommitTransfer(_ context.Context, c transfer.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nextWrite(); err != nil {
		return err
	}
	cur, exists := s.Transfers[c.After.ID]
	switch {
	case c.Before == nil:
		return errors.New("memstore: CommitTransfer without Before (CreateTransfer creates)")
	case !exists || cur.Version != c.Before.Version:
		return retry.ErrConflict
	case c.After.Version != c.Before.Version+1:
		return fmt.Errorf("memstore: transfer version %d after %d", c.After.Version, c.Before.Version)
	}
	moveRequest, err := s.moveRequest(c)
	if err != nil {
		return err
	}
	var refunded transfer.Transfer
	if r := c.Refund; r != nil {
		orig, ok := s.Transfers[r.TransferID]
		if !ok {
			return problem.ErrNotFound
		}
		if err := r.Refusal(orig); err != nil {
			return err
		}
		refunded = r.Apply(orig)
	}
	if err := s.apply(c.Deltas, c.Posting, c.Completion); err != nil {
		return err
	}
	s.Transfers[c.After.ID] = clone(c.After)
	moveRequest()
	if c.Refund != nil {
		s.Transfers[refunded.ID] = refunded
	}
	return nil
}

// SetStatus writes after's status conditional on before's version, and a close on a
// zero balance and no holds.
func (s *Store) SetStatus(_ context.Context, before, after ledger.Wallet, _ *audit.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.nextWrite(); err != nil {
		return err
	}
	cur, ok := s.Wallets[before.ID]
	if !ok || cur.Version != before.Version ||
		(after.Status == ledger.StatusClosed && ledger.WithShards(cur, s.shardsOf(cur)).BalanceMinor != 0) ||
		(after.Status == ledger.StatusClosed && cur.HeldMinor != 0) {
		return retry.ErrConflict
	}
	cur.Status, cur.Version, cur.UpdatedAt = after.Status, after.Version, after.UpdatedAt
	s.Wallets[before.ID] = cur
	s.setShardStatus(cur)
	return nil
}

// Entries pages the wallet's posted entries newest first (by time, then id, as the
// DynamoDB store sorts them); the position is the last entry's id. OnEntries runs
// after the page is read.
func (s *Store) Entries(_ context.Context, w ledger.Wallet, limit int, after string) ([]ledger.Entry, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []ledger.Entry
	for _, p := range s.Postings {
		for _, e := range p.Entries {
			if e.Account == w.ID { // on the wallet or any of its shards
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
	if hook := s.OnEntries; hook != nil {
		s.OnEntries = nil
		hook(s)
	}
	return append([]ledger.Entry(nil), page...), next, nil
}

// StoredWallet returns the wallet as stored, without counting a read.
func (s *Store) StoredWallet(id string) ledger.Wallet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Wallets[id]
}

// StoredTransfer returns the transfer as stored, without counting a read.
func (s *Store) StoredTransfer(id string) transfer.Transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.Transfers[id])
}

// PutWallet stores w as it is, past every rule.
func (s *Store) PutWallet(w ledger.Wallet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Wallets[w.ID] = w
}

// PutTransfer stores t as it is, past every rule.
func (s *Store) PutTransfer(t transfer.Transfer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Transfers[t.ID] = clone(t)
}

// AccountSums totals every posted entry per account, and over all accounts.
func (s *Store) AccountSums() (perAccount map[string]int64, total int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	perAccount = map[string]int64{}
	for _, p := range s.Postings {
		for _, e := range p.Entries {
			perAccount[e.Account] += e.AmountMinor
			total += e.AmountMinor
		}
	}
	return perAccount, total
}

// Counts returns how many commits wrote, and how many postings there are.
func (s *Store) Counts() (commits, postings int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Commits, len(s.Postings)
}
