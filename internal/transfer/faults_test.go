package transfer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

func TestCaughtErrorReason(t *testing.T) {
	tests := map[string]struct {
		in   *transfer.CaughtError
		want string
	}{
		"nil": {nil, ""},
		"business refusal": {&transfer.CaughtError{Error: "BusinessRefusal",
			Cause: `{"errorMessage":"insufficient_funds","errorType":"BusinessRefusal"}`}, "insufficient_funds"},
		"business refusal, other code": {&transfer.CaughtError{Error: "BusinessRefusal",
			Cause: `{"errorMessage":"wallet_not_active","errorType":"BusinessRefusal"}`}, "wallet_not_active"},
		"business refusal without a message": {&transfer.CaughtError{Error: "BusinessRefusal", Cause: `{"errorType":"BusinessRefusal"}`}, transfer.ReasonStepFailed},
		"business refusal, cause not JSON":   {&transfer.CaughtError{Error: "BusinessRefusal", Cause: "insufficient_funds"}, transfer.ReasonStepFailed},
		"transient": {&transfer.CaughtError{Error: "Transient",
			Cause: `{"errorMessage":"insufficient_funds","errorType":"Transient"}`}, transfer.ReasonStepFailed},
		"timeout": {&transfer.CaughtError{Error: "States.Timeout", Cause: ""}, transfer.ReasonStepFailed},
		"contention": {&transfer.CaughtError{Error: "Contention",
			Cause: `{"errorMessage":"contention in step reserve","errorType":"Contention"}`}, transfer.ReasonContention},
		"empty": {&transfer.CaughtError{}, transfer.ReasonStepFailed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.in.Reason())
		})
	}
}

func TestStepsFaultInjection(t *testing.T) {
	s, store, _ := newSteps(t, 100, transfer.ModeImmediate)
	s.Faults = faults{transfer.StepPost: {Mode: "fail"}}

	_, err := s.Reserve(context.Background(), stepIn)
	require.NoError(t, err, "a fault on another step does not apply")
	commitsBefore, _ := store.Counts()
	readsBefore := store.Reads

	_, err = s.Post(context.Background(), stepIn)
	var transient *transfer.Transient
	require.ErrorAs(t, err, &transient)
	assert.Contains(t, transient.Cause, transfer.StepPost)
	commits, _ := store.Counts()
	assert.Equal(t, commitsBefore, commits)
	assert.Equal(t, readsBefore, store.Reads, "an injected failure does not touch the store")
	assert.False(t, store.StoredTransfer(transferID).Captured)
}

func TestStepsFaultContend(t *testing.T) {
	s, store, _ := newSteps(t, 100, transfer.ModeImmediate)
	s.Faults = faults{transfer.StepReserve: {Mode: "contend"}}

	_, err := s.Reserve(context.Background(), stepIn)
	var c *transfer.Contention
	require.ErrorAs(t, err, &c, "the injected lost race is named Contention")
	assert.Equal(t, transfer.StepReserve, c.Step)
	assert.False(t, store.StoredTransfer(transferID).Reserved)
}

func TestStepsFaultDelay(t *testing.T) {
	t.Run("delay then proceed", func(t *testing.T) {
		s, store, _ := newSteps(t, 100, transfer.ModeImmediate)
		s.Faults = faults{transfer.StepReserve: {Mode: "delay", DelayMs: 20}}
		start := time.Now()
		_, err := s.Reserve(context.Background(), stepIn)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
		assert.True(t, store.StoredTransfer(transferID).Reserved)
	})
	t.Run("delay cut short by the context", func(t *testing.T) {
		s, store, _ := newSteps(t, 100, transfer.ModeImmediate)
		s.Faults = faults{transfer.StepReserve: {Mode: "delay", DelayMs: 60_000}}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := s.Reserve(ctx, stepIn)
		assert.Error(t, err)
		assert.False(t, store.StoredTransfer(transferID).Reserved)
	})
}

func TestFinalizeCountsTechnicalFailuresOnly(t *testing.T) {
	technical := &transfer.CaughtError{Error: "States.Timeout"}
	refused := &transfer.CaughtError{Error: "BusinessRefusal", Cause: `{"errorMessage":"insufficient_funds","errorType":"BusinessRefusal"}`}
	contention := &transfer.CaughtError{Error: "Contention", Cause: `{"errorMessage":"contention in step reserve","errorType":"Contention"}`}
	tests := map[string]struct {
		path      []stepFn
		wantFails int
	}{
		"lost races do not":            {[]stepFn{finalizeTo(transfer.StatusFailed, contention)}, 0},
		"technical failure counts":     {[]stepFn{finalizeTo(transfer.StatusFailed, technical)}, 1},
		"business refusal does not":    {[]stepFn{finalizeTo(transfer.StatusFailed, refused)}, 0},
		"completion does not":          {[]stepFn{reserve, post, complete}, 0},
		"failure without error object": {[]stepFn{finalizeTo(transfer.StatusFailed, nil)}, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, store, bs := newSteps(t, 100, transfer.ModeImmediate)
			runSteps(t, s, tt.path...)
			assert.True(t, store.StoredTransfer(transferID).Status.Final())
			assert.Equal(t, tt.wantFails, bs.state().Failures)
		})
	}
}
