package transfer_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
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
	releaseAndFail := func(err error) error { // ReleaseHold: it ends the transfer FAILED itself
		_, rerr := s.Release(ctx, transfer.CompensateInput{TransferID: in.TransferID, Phase: in.Phase, Error: caught(err)})
		if rerr != nil { // MarkNeedsReview, on its condition
			store := s.Store.(*memstore.Store)
			if tr := store.StoredTransfer(in.TransferID); slices.Contains(transfer.Reviewable, tr.Status) {
				tr.ReviewFrom, tr.Status, tr.Version = tr.Status, transfer.StatusNeedsReview, tr.Version+1
				store.PutTransfer(tr)
			}
		}
		return rerr
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
