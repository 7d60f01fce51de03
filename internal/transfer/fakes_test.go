package transfer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
	"github.com/serverless-wallet/wallet/internal/transfer/transfertest"
)

// clock is a controllable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// breakerStore keeps the breaker in memory. SaveBreaker is conditional on the
// version, like the DynamoDB store: a stale version is retry.ErrConflict.
type breakerStore struct {
	mu       sync.Mutex
	st       transfer.BreakerState
	saveN    int // SaveBreaker calls, won or lost
	writeN   int // SaveBreaker calls that wrote
	loadErr  error
	beforeNx []func(*transfer.BreakerState) // run one per save, before its version check: another instance writing first
}

func newBreakerStore() *breakerStore {
	return &breakerStore{st: transfer.BreakerState{State: transfer.BreakerClosed}}
}

func (s *breakerStore) LoadBreaker(context.Context) (transfer.BreakerState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, s.loadErr
}

func (s *breakerStore) SaveBreaker(_ context.Context, next transfer.BreakerState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saveN++
	if len(s.beforeNx) > 0 {
		s.beforeNx[0](&s.st)
		s.beforeNx = s.beforeNx[1:]
	}
	if next.Version != s.st.Version {
		return retry.ErrConflict
	}
	next.Version++
	s.st = next
	s.writeN++
	return nil
}

func (s *breakerStore) state() transfer.BreakerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

func (s *breakerStore) counts() (saves, writes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveN, s.writeN
}

// memStore is an in-memory transfer.Store. CommitTransfer checks the transfer's
// Before version and applies the wallet deltas under their rules (ledger.ApplyAll),
// like the DynamoDB transaction, and keeps every posting so tests can check
// conservation.
type memStore struct {
	mu           sync.Mutex
	wallets      map[string]ledger.Wallet
	transfers    map[string]transfer.Transfer
	postings     []ledger.Posting
	completions  []idempotency.Completion
	commitN      int // successful commits
	readN        int // Transfer and Wallet reads
	conflictsN   int // the next conflictsN commits lose a race
	expired      []string
	expiredAt    time.Time
	expiredMax   int
	expiredPages int
	forgotten    []string
	indexed      map[string]int // list-entry writes per transfer id
	// onCreate, when set, runs once inside the next CreateTransfer, before its check:
	// a racer with the same key that writes first.
	onCreate func(s *memStore)
	// onWalletRead, when set, runs once inside the next Wallet read: a racer that
	// commits between the caller's transfer read and its wallet read.
	onWalletRead func(s *memStore)
}

func newMemStore(ws ...ledger.Wallet) *memStore {
	s := &memStore{wallets: map[string]ledger.Wallet{}, transfers: map[string]transfer.Transfer{}, indexed: map[string]int{}}
	for _, w := range ws {
		s.wallets[w.ID] = w
	}
	return s
}

var _ transfer.Store = (*memStore)(nil)

func (s *memStore) Wallet(_ context.Context, id string) (ledger.Wallet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if race := s.onWalletRead; race != nil {
		s.onWalletRead = nil
		race(s)
	}
	s.readN++
	w, ok := s.wallets[id]
	if !ok {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return w, nil
}

func (s *memStore) Transfer(_ context.Context, id string) (transfer.Transfer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readN++
	t, ok := s.transfers[id]
	if !ok {
		return transfer.Transfer{}, problem.ErrNotFound
	}
	return cloneTransfer(t), nil
}

func cloneTransfer(t transfer.Transfer) transfer.Transfer {
	t.Steps = append([]transfer.Step(nil), t.Steps...)
	return t
}

func (s *memStore) CommitTransfer(_ context.Context, c transfer.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conflictsN > 0 {
		s.conflictsN--
		return retry.ErrConflict
	}
	cur, exists := s.transfers[c.After.ID]
	switch {
	case c.Before == nil:
		return errors.New("memStore: CommitTransfer without Before (CreateTransfer creates)")
	case !exists || cur.Version != c.Before.Version:
		return retry.ErrConflict
	case c.After.Version != c.Before.Version+1:
		return fmt.Errorf("memStore: transfer version %d after %d", c.After.Version, c.Before.Version)
	}
	if c.Posting != nil {
		for _, p := range s.postings {
			if p.ID == c.Posting.ID {
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
	s.transfers[c.After.ID] = cloneTransfer(c.After)
	if c.Completion != nil {
		s.completions = append(s.completions, *c.Completion)
	}
	s.commitN++
	return nil
}

func (s *memStore) CreateTransfer(_ context.Context, t transfer.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if race := s.onCreate; race != nil {
		s.onCreate = nil
		race(s)
	}
	if cur, exists := s.transfers[t.ID]; exists {
		if cur.RequestHash != t.RequestHash || !cur.CreatedAt.Equal(t.CreatedAt) || cur.Version != 1 {
			return transfer.ErrExists
		}
	}
	s.transfers[t.ID] = cloneTransfer(t)
	s.indexed[t.ID]++
	return nil
}

func (s *memStore) IndexTransfer(_ context.Context, t transfer.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexed[t.ID]++
	return nil
}

func (s *memStore) WalletIDsOf(context.Context, string) ([]string, error) {
	return nil, errors.New("memStore: WalletIDsOf not used")
}

func (s *memStore) TransfersOfWallets(context.Context, []string, int, string) ([]transfer.Transfer, string, error) {
	return nil, "", errors.New("memStore: TransfersOfWallets not used")
}

// ExpiredHolds pages through the ids the test put in the index (the position is the
// index in that list); like the real index, it may name a transfer that has moved on.
func (s *memStore) ExpiredHolds(_ context.Context, now time.Time, limit int, after string) ([]string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiredAt, s.expiredMax = now, limit
	s.expiredPages++
	start := 0
	if after != "" {
		var err error
		if start, err = strconv.Atoi(after); err != nil {
			return nil, "", err
		}
	}
	end := min(start+limit, len(s.expired))
	next := ""
	if end < len(s.expired) {
		next = strconv.Itoa(end)
	}
	return append([]string(nil), s.expired[start:end]...), next, nil
}

// ForgetHold records which stale index entries the sweeper dropped.
func (s *memStore) ForgetHold(_ context.Context, t transfer.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgotten = append(s.forgotten, t.ID)
	return nil
}

func (s *memStore) wallet(id string) ledger.Wallet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wallets[id]
}

func (s *memStore) transfer(id string) transfer.Transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneTransfer(s.transfers[id])
}

func (s *memStore) put(t transfer.Transfer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transfers[t.ID] = cloneTransfer(t)
}

func (s *memStore) setWallet(w ledger.Wallet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wallets[w.ID] = w
}

// accountSums totals every posted entry per account, and over all accounts.
func (s *memStore) accountSums() (perAccount map[string]int64, total int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	perAccount = map[string]int64{}
	for _, p := range s.postings {
		for _, e := range p.Entries {
			perAccount[e.Account] += e.AmountMinor
			total += e.AmountMinor
		}
	}
	return perAccount, total
}

func (s *memStore) counts() (commits, postings int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitN, len(s.postings)
}

// faults injects a fault per step name.
type faults map[string]transfer.Fault

func (f faults) Fault(_ context.Context, step string) (transfer.Fault, bool, error) {
	ft, ok := f[step]
	return ft, ok, nil
}

// idemCounts returns how many claims were begun and released.
func idemCounts(s *idemtest.Store) (begun, released int) { return len(s.Begun()), len(s.Released()) }

// runner is a fake saga Runner. It records every input; with steps set it runs the
// state machine's path in-process, with block set it waits for ctx.
type runner struct {
	mu     sync.Mutex
	inputs []transfer.SagaInput
	steps  *transfer.Steps
	block  bool
}

func (r *runner) Run(ctx context.Context, in transfer.SagaInput) error {
	r.mu.Lock()
	r.inputs = append(r.inputs, in)
	r.mu.Unlock()
	if r.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if r.steps == nil {
		return nil
	}
	return simulate(ctx, r.steps, in)
}

func (r *runner) calls() []transfer.SagaInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transfer.SagaInput(nil), r.inputs...)
}

// simulate follows statemachines/transfer.asl.json without retries.
func simulate(ctx context.Context, s *transfer.Steps, in transfer.SagaInput) error {
	id := transfer.StepInput{TransferID: in.TransferID}
	fail := func(err error) error {
		_, ferr := s.Finalize(ctx, transfer.FinalizeInput{TransferID: in.TransferID, Status: transfer.StatusFailed, Error: caught(err)})
		return ferr
	}
	releaseAndFail := func(err error) error {
		if _, rerr := s.Release(ctx, id); rerr != nil {
			return rerr
		}
		return fail(err)
	}
	if in.Phase != transfer.PhaseSettle {
		if _, err := s.Reserve(ctx, id); err != nil {
			var refusal *transfer.BusinessRefusal
			if errors.As(err, &refusal) {
				return fail(err)
			}
			return releaseAndFail(err)
		}
		if in.Mode == transfer.ModeHold {
			if _, err := s.Finalize(ctx, transfer.FinalizeInput{TransferID: in.TransferID, Status: transfer.StatusHeld}); err != nil {
				return releaseAndFail(err)
			}
			return nil
		}
	}
	if _, err := s.Post(ctx, id); err != nil {
		return releaseAndFail(err)
	}
	return nil // the post completed the transfer
}

// caught renders a step error the way Step Functions passes it to a Catch.
func caught(err error) *transfer.CaughtError {
	typ := "Transient"
	var refusal *transfer.BusinessRefusal
	if errors.As(err, &refusal) {
		typ = "BusinessRefusal"
	}
	cause, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": typ})
	return &transfer.CaughtError{Error: typ, Cause: string(cause)}
}

// TestMemStoreConforms: the fake keeps the rules the DynamoDB store keeps
// (internal/dynamo runs the same suite on the local engine).
func TestMemStoreConforms(t *testing.T) {
	transfertest.Run(t, func(t *testing.T) transfertest.Fixture {
		src := usdWallet(srcID, ownerA, transfertest.FundedMinor)
		dst := usdWallet(dstID, ownerB, 0)
		return transfertest.Fixture{Store: newMemStore(src, dst), Source: src, Destination: dst}
	})
}
