package transfertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/conformance"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// The saga's steps as the state machine calls them, on one transfer. markReview is the
// state machine's own MarkNeedsReview (a direct, conditional DynamoDB update, not a
// Lambda step), modelled here by the rule it applies: only from transfer.Reviewable.
type step struct {
	name string
	run  func(ctx context.Context, s *transfer.Steps, id string) error
}

var (
	stepReserve = step{"reserve", func(ctx context.Context, s *transfer.Steps, id string) error {
		_, err := s.Reserve(ctx, transfer.StepInput{TransferID: id})
		return err
	}}
	stepPost = step{"post", func(ctx context.Context, s *transfer.Steps, id string) error {
		_, err := s.Post(ctx, transfer.StepInput{TransferID: id})
		return err
	}}
	stepMarkHeld = step{"mark-held", func(ctx context.Context, s *transfer.Steps, id string) error {
		_, err := s.Finalize(ctx, transfer.FinalizeInput{TransferID: id, Status: transfer.StatusHeld})
		return err
	}}
	stepCapture    = step{"capture", capture}
	stepMarkReview = step{"mark-review", markReview}
)

func compensate(phase string) step {
	return step{"compensate-" + phase, func(ctx context.Context, s *transfer.Steps, id string) error {
		_, err := s.Release(ctx, transfer.CompensateInput{TransferID: id, Phase: phase,
			Error: &transfer.CaughtError{Error: "Transient", Cause: `{"errorMessage":"injected"}`}})
		return err
	}}
}

// capture is the capture request's write (Service.Capture): HELD to CAPTURING.
func capture(ctx context.Context, s *transfer.Steps, id string) error {
	return retry.Conflicts(ctx, func(int) error {
		t, err := s.Store.Transfer(ctx, id)
		if err != nil || t.Status != transfer.StatusHeld {
			return err
		}
		after := t
		after.Status, after.Version = transfer.StatusCapturing, t.Version+1
		return s.Store.CommitTransfer(ctx, transfer.Change{Before: &t, After: after})
	})
}

func markReview(ctx context.Context, s *transfer.Steps, id string) error {
	return retry.Conflicts(ctx, func(int) error {
		t, err := s.Store.Transfer(ctx, id)
		if err != nil || !slices.Contains(transfer.Reviewable, t.Status) {
			return err // the ASL's condition fails: NotForReview
		}
		after := t
		after.Status, after.ReviewFrom, after.FailureReason, after.Version = transfer.StatusNeedsReview, t.Status, "compensation_failed", t.Version+1
		return s.Store.CommitTransfer(ctx, transfer.Change{Before: &t, After: after})
	})
}

// transitions wraps a store and counts, per transfer, the commits that moved it into
// each status: what the ledger stream turns into events (one per arrival).
type transitions struct {
	transfer.Store
	mu      sync.Mutex
	arrived map[string]map[transfer.Status]int
	illegal []string // transitions no saga step may make
}

// sagaMoves are the status changes the saga's steps (and the capture) may make: a HELD
// transfer is the payer's, and a settled one is nobody's.
var sagaMoves = map[transfer.Status][]transfer.Status{
	transfer.StatusPending:   {transfer.StatusHeld, transfer.StatusCompleted, transfer.StatusFailed, transfer.StatusNeedsReview},
	transfer.StatusHeld:      {transfer.StatusCapturing},
	transfer.StatusCapturing: {transfer.StatusCompleted, transfer.StatusFailed, transfer.StatusNeedsReview},
}

func (s *transitions) CommitTransfer(ctx context.Context, c transfer.Change) error {
	if err := s.Store.CommitTransfer(ctx, c); err != nil {
		return err
	}
	if c.Before.Status != c.After.Status {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !slices.Contains(sagaMoves[c.Before.Status], c.After.Status) {
			s.illegal = append(s.illegal, fmt.Sprintf("%s: %s to %s", c.After.ID, c.Before.Status, c.After.Status))
		}
		if s.arrived[c.After.ID] == nil {
			s.arrived[c.After.ID] = map[transfer.Status]int{}
		}
		s.arrived[c.After.ID][c.After.Status]++
	}
	return nil
}

// runOn runs steps on the transfer, in order; a step's error is what the state machine
// would catch (a refusal, a broken order), and the run goes on as another execution
// would: what counts is where the money ends.
func runOn(ctx context.Context, s *transfer.Steps, id string, steps []step) {
	for _, st := range steps {
		_ = st.run(ctx, s, id)
	}
}

// interleavings returns every merge of a and b that keeps each one's order.
func interleavings(a, b []step) [][]step {
	if len(a) == 0 || len(b) == 0 {
		return [][]step{append(append([]step(nil), a...), b...)}
	}
	var out [][]step
	for _, rest := range interleavings(a[1:], b) {
		out = append(out, append([]step{a[0]}, rest...))
	}
	for _, rest := range interleavings(a, b[1:]) {
		out = append(out, append([]step{b[0]}, rest...))
	}
	return out
}

func names(steps []step) string {
	out := ""
	for i, st := range steps {
		if i > 0 {
			out += ","
		}
		out += st.name
	}
	return out
}

// saga is one scenario: a transfer of mode, brought to its start state by setup, then
// run by two executions.
type saga struct {
	mode   string
	setup  []step
	first  []step
	second []step
}

// An immediate transfer's saga is its post alone (reserved and posted in one
// transaction); "reserve, post" is the shape of executions started before that, which a
// deployment can leave running next to new ones.
var twiceRunSagas = map[string]saga{
	"immediate, one step twice":          {mode: transfer.ModeImmediate, first: []step{stepPost}, second: []step{stepPost}},
	"immediate, one step and compensate": {mode: transfer.ModeImmediate, first: []step{stepPost}, second: []step{compensate(transfer.PhaseStart)}},
	"immediate, one step and review":     {mode: transfer.ModeImmediate, first: []step{stepPost}, second: []step{compensate(transfer.PhaseStart), stepMarkReview}},
	"immediate, one step and two steps":  {mode: transfer.ModeImmediate, first: []step{stepPost}, second: []step{stepReserve, stepPost}},
	"immediate, one step and a reserve":  {mode: transfer.ModeImmediate, first: []step{stepPost}, second: []step{stepReserve, compensate(transfer.PhaseStart)}},
	"immediate, both post":               {mode: transfer.ModeImmediate, first: []step{stepReserve, stepPost}, second: []step{stepReserve, stepPost}},
	"immediate, one compensates":         {mode: transfer.ModeImmediate, first: []step{stepReserve, stepPost}, second: []step{stepReserve, compensate(transfer.PhaseStart)}},
	"immediate, one marks review":        {mode: transfer.ModeImmediate, first: []step{stepReserve, stepPost}, second: []step{stepReserve, stepMarkReview}},
	"hold, one compensates":              {mode: transfer.ModeHold, first: []step{stepReserve, stepMarkHeld}, second: []step{stepReserve, compensate(transfer.PhaseStart)}},
	"hold, one marks review":             {mode: transfer.ModeHold, first: []step{stepReserve, stepMarkHeld}, second: []step{stepReserve, stepMarkReview}},
	"hold, a stray post":                 {mode: transfer.ModeHold, first: []step{stepReserve, stepMarkHeld}, second: []step{stepPost}},
	"settle, both post":                  {mode: transfer.ModeHold, setup: []step{stepReserve, stepMarkHeld, stepCapture}, first: []step{stepPost}, second: []step{stepPost}},
	"settle, one compensates":            {mode: transfer.ModeHold, setup: []step{stepReserve, stepMarkHeld, stepCapture}, first: []step{stepPost}, second: []step{compensate(transfer.PhaseSettle)}},
	"settle, compensation and marks":     {mode: transfer.ModeHold, setup: []step{stepReserve, stepMarkHeld, stepCapture}, first: []step{compensate(transfer.PhaseSettle)}, second: []step{compensate(transfer.PhaseSettle), stepMarkReview}},
}

// twiceRun runs, for each scenario, every interleaving of its two executions, and each
// step of the first execution twice in a row (a task run twice), each on a transfer of
// its own on one pair of wallets, then proves the money: each transfer's outcome agrees
// with its flags and its postings, the source's held equals its open holds, the
// destination received exactly what completed, and no transfer arrived in a status
// twice (one event per fact).
func twiceRun(t *testing.T, f Fixture) {
	ctx := context.Background()
	rec := &transitions{Store: f.Store, arrived: map[string]map[transfer.Status]int{}}
	steps := &transfer.Steps{Store: rec, Now: func() time.Time { return conformance.At }}
	const amount = 10
	var ids []string
	n := 0
	newTransfer := func(mode string, setup []step) string {
		n++
		tr := pending(f, amount)
		tr.ID, tr.Mode = transfer.IDFor(f.Source.OwnerID, fmt.Sprintf("twice-%d", n)), mode
		if mode == transfer.ModeHold {
			tr.ExpiresAt = conformance.At.Add(time.Hour)
		}
		require.NoError(t, f.Store.CreateTransfer(ctx, tr))
		runOn(ctx, steps, tr.ID, setup)
		ids = append(ids, tr.ID)
		return tr.ID
	}
	for _, name := range slices.Sorted(maps.Keys(twiceRunSagas)) {
		sc := twiceRunSagas[name]
		for _, order := range interleavings(sc.first, sc.second) {
			id := newTransfer(sc.mode, sc.setup)
			runOn(ctx, steps, id, order)
			assertConsistent(t, f, name+": "+names(order), id)
		}
		var doubled []step
		for _, st := range sc.first {
			doubled = append(doubled, st, st)
		}
		id := newTransfer(sc.mode, sc.setup)
		runOn(ctx, steps, id, doubled)
		assertConsistent(t, f, name+": "+names(doubled), id)
	}

	var open, completed int64
	for _, id := range ids {
		tr, err := f.Store.Transfer(ctx, id)
		require.NoError(t, err)
		h := transfer.HoldFactsOf(tr)
		assert.False(t, h.Posted && h.Released, "%s: posted and released", id)
		if h.Open() {
			open += h.HoldMinor
		}
		if h.Posted {
			completed += tr.CaptureMinor
		}
		for status, times := range rec.arrived[id] {
			assert.Equal(t, 1, times, "%s arrived in %s %d times: one event per fact", id, status, times)
		}
	}
	assert.Empty(t, rec.illegal, "a second execution undid what the first settled")
	src, dst := wallet(t, f.Store, f.Source.ID), wallet(t, f.Store, f.Destination.ID)
	assert.Equal(t, open, src.HeldMinor, "the source's held is the sum of its open holds")
	assert.Equal(t, completed, dst.BalanceMinor, "the destination received exactly what completed")
	assert.Equal(t, int64(FundedMinor), src.BalanceMinor+dst.BalanceMinor, "no money made or lost")
}

// assertConsistent checks that a transfer's status agrees with where its money is.
func assertConsistent(t *testing.T, f Fixture, what, id string) {
	t.Helper()
	tr, err := f.Store.Transfer(context.Background(), id)
	require.NoError(t, err)
	h := transfer.HoldFactsOf(tr)
	switch tr.Status {
	case transfer.StatusCompleted:
		assert.True(t, h.Posted, "%s: COMPLETED without its post", what)
	case transfer.StatusFailed, transfer.StatusReleased:
		assert.False(t, h.Posted, "%s: %s but posted", what, tr.Status)
		assert.False(t, h.Open(), "%s: %s with its hold open", what, tr.Status)
	case transfer.StatusHeld, transfer.StatusCapturing:
		assert.True(t, h.Open(), "%s: %s without an open hold", what, tr.Status)
	case transfer.StatusNeedsReview:
		assert.False(t, h.Posted, "%s: sent for review after its post", what)
	default:
		assert.Fail(t, "unexpected status", "%s: %s", what, tr.Status)
	}
}
