package transfer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

const (
	testFailuresMax     = 3
	testWindowSeconds   = 60
	testCooldownSeconds = 30
	probeTimeout        = 30 * time.Second
)

func newBreaker() (*transfer.Breaker, *breakerStore, *clock) {
	st, clk := newBreakerStore(), newClock()
	b := &transfer.Breaker{Store: st, Now: clk.Now, Config: transfer.BreakerConfig{
		FailuresMax: testFailuresMax, WindowSeconds: testWindowSeconds, CooldownSeconds: testCooldownSeconds}}
	return b, st, clk
}

func fail(t *testing.T, b *transfer.Breaker, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		require.NoError(t, b.Record(context.Background(), transfer.Outcome{Healthy: false}))
	}
}

// requireUnavailable checks err is the 503 refusal and returns its Retry-After.
func requireUnavailable(t *testing.T, err error) int {
	t.Helper()
	require.Error(t, err)
	p, ok := problem.As(err)
	require.True(t, ok, "err = %v", err)
	assert.Equal(t, "service_unavailable", p.Code)
	assert.Equal(t, problem.KindUnavailable, p.Kind)
	assert.GreaterOrEqual(t, p.RetryAfterSeconds, 1)
	assert.ErrorIs(t, err, transfer.ErrUnavailable)
	return p.RetryAfterSeconds
}

// openBreaker records enough failures to open it and returns when it opened.
func openBreaker(t *testing.T, b *transfer.Breaker, st *breakerStore, clk *clock) time.Time {
	t.Helper()
	fail(t, b, testFailuresMax)
	require.Equal(t, transfer.BreakerOpen, st.state().State)
	return clk.Now()
}

// cooledBreaker returns a breaker opened by failures whose cool-down has just passed.
func cooledBreaker(t *testing.T) (*transfer.Breaker, *breakerStore, *clock) {
	t.Helper()
	b, st, clk := newBreaker()
	openBreaker(t, b, st, clk)
	clk.Advance(testCooldownSeconds * time.Second)
	return b, st, clk
}

// takeProbe asks a cooled breaker to allow a call, which must be the probe.
func takeProbe(t *testing.T, b *transfer.Breaker) {
	t.Helper()
	probe, err := b.Allow(context.Background())
	require.NoError(t, err)
	require.True(t, probe, "the first caller after the cool-down is the probe")
}

func TestBreakerClosedAllows(t *testing.T) {
	b, st, _ := newBreaker()
	probe, err := b.Allow(context.Background())
	require.NoError(t, err)
	assert.False(t, probe, "a closed breaker has no probe")
	saves, _ := st.counts()
	assert.Zero(t, saves, "allowing through a closed breaker costs no write")
}

func TestBreakerFailuresBelowMaxKeepItClosed(t *testing.T) {
	b, st, _ := newBreaker()
	fail(t, b, testFailuresMax-1)

	got := st.state()
	assert.Equal(t, transfer.BreakerClosed, got.State)
	assert.Equal(t, testFailuresMax-1, got.Failures)
	_, err := b.Allow(context.Background())
	assert.NoError(t, err)
}

func TestBreakerWindow(t *testing.T) {
	tests := map[string]struct {
		gap          time.Duration // between the first failures and the last one
		wantState    string
		wantFailures int
	}{
		"last failure inside the window opens":     {testWindowSeconds * time.Second, transfer.BreakerOpen, testFailuresMax},
		"last failure outside the window restarts": {testWindowSeconds*time.Second + time.Millisecond, transfer.BreakerClosed, 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b, st, clk := newBreaker()
			fail(t, b, testFailuresMax-1)
			clk.Advance(tt.gap)
			fail(t, b, 1)

			got := st.state()
			assert.Equal(t, tt.wantState, got.State)
			assert.Equal(t, tt.wantFailures, got.Failures)
			if tt.wantState == transfer.BreakerClosed {
				assert.Equal(t, clk.Now(), got.WindowStart, "a new window starts at the failure that reset it")
			}
		})
	}
}

func TestBreakerOpensAtFailuresMax(t *testing.T) {
	b, st, clk := newBreaker()
	openedAt := openBreaker(t, b, st, clk)
	assert.Equal(t, openedAt, st.state().OpenedAt)

	_, err := b.Allow(context.Background())
	assert.Equal(t, testCooldownSeconds, requireUnavailable(t, err))
}

func TestBreakerOpenRetryAfter(t *testing.T) {
	tests := map[string]struct {
		elapsed time.Duration
		want    int
	}{
		"just opened":        {0, 30},
		"one second later":   {time.Second, 29},
		"fraction rounds up": {10*time.Second + 500*time.Millisecond, 20},
		"last fraction":      {29*time.Second + 900*time.Millisecond, 1},
		"last millisecond":   {30*time.Second - time.Millisecond, 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b, st, clk := newBreaker()
			openBreaker(t, b, st, clk)
			clk.Advance(tt.elapsed)

			probe, err := b.Allow(context.Background())
			assert.False(t, probe)
			assert.Equal(t, tt.want, requireUnavailable(t, err))
			assert.Equal(t, transfer.BreakerOpen, st.state().State, "a refusal changes nothing")
		})
	}
}

func TestBreakerOneProbeAfterCooldown(t *testing.T) {
	b, st, clk := cooledBreaker(t)

	probe, err := b.Allow(context.Background())
	require.NoError(t, err)
	assert.True(t, probe, "the first caller after the cool-down is the probe")
	got := st.state()
	assert.Equal(t, transfer.BreakerHalfOpen, got.State)
	assert.Equal(t, clk.Now(), got.ProbeAt)

	clk.Advance(probeTimeout - time.Millisecond)
	probe, err = b.Allow(context.Background())
	assert.False(t, probe, "only one probe at a time")
	assert.Equal(t, 1, requireUnavailable(t, err))
}

func TestBreakerProbeOutcome(t *testing.T) {
	t.Run("success closes", func(t *testing.T) {
		b, st, _ := cooledBreaker(t)
		takeProbe(t, b)

		require.NoError(t, b.Record(context.Background(), transfer.Outcome{Healthy: true, Probe: true}))
		got := st.state()
		assert.Equal(t, transfer.BreakerClosed, got.State)
		assert.Zero(t, got.Failures, "a closed breaker starts counting afresh")

		probe, err := b.Allow(context.Background())
		require.NoError(t, err)
		assert.False(t, probe)
		// One more failure must not reopen it: the old count is gone.
		fail(t, b, 1)
		assert.Equal(t, transfer.BreakerClosed, st.state().State)
	})
	t.Run("failure reopens with a new cool-down", func(t *testing.T) {
		b, st, clk := newBreaker()
		firstOpened := openBreaker(t, b, st, clk)
		clk.Advance(testCooldownSeconds*time.Second + 5*time.Second)
		takeProbe(t, b)
		clk.Advance(2 * time.Second)

		require.NoError(t, b.Record(context.Background(), transfer.Outcome{Healthy: false, Probe: true}))
		got := st.state()
		assert.Equal(t, transfer.BreakerOpen, got.State)
		assert.Equal(t, clk.Now(), got.OpenedAt)
		assert.True(t, got.OpenedAt.After(firstOpened))

		_, err := b.Allow(context.Background())
		assert.Equal(t, testCooldownSeconds, requireUnavailable(t, err))
	})
	t.Run("a straggler's success does not close an open breaker", func(t *testing.T) {
		b, st, clk := newBreaker()
		openBreaker(t, b, st, clk)
		_, writesBefore := st.counts()

		require.NoError(t, b.Record(context.Background(), transfer.Outcome{Healthy: true}))
		_, writes := st.counts()
		assert.Equal(t, writesBefore, writes)
		assert.Equal(t, transfer.BreakerOpen, st.state().State)
	})
}

func TestBreakerStuckProbe(t *testing.T) {
	b, st, clk := cooledBreaker(t)
	takeProbe(t, b)

	clk.Advance(probeTimeout)
	probe, err := b.Allow(context.Background())
	require.NoError(t, err)
	assert.True(t, probe, "a probe that never reported frees the slot")
	assert.Equal(t, clk.Now(), st.state().ProbeAt)

	probe, err = b.Allow(context.Background())
	assert.False(t, probe)
	requireUnavailable(t, err)
}

func TestBreakerSuccessOnClosedDoesNotWrite(t *testing.T) {
	tests := map[string]transfer.BreakerState{
		"closed":           {State: transfer.BreakerClosed},
		"never saved":      {},
		"closed, counting": {State: transfer.BreakerClosed, Failures: 2, Version: 4},
	}
	for name, start := range tests {
		t.Run(name, func(t *testing.T) {
			b, st, _ := newBreaker()
			st.st = start
			require.NoError(t, b.Record(context.Background(), transfer.Outcome{Healthy: true}))
			require.NoError(t, b.Record(context.Background(), transfer.Outcome{Healthy: true, Probe: true}))
			saves, _ := st.counts()
			assert.Zero(t, saves)
			assert.Equal(t, start, st.state())
		})
	}
}

func TestBreakerSaveConflictIsRetried(t *testing.T) {
	t.Run("record keeps the other instance's failure", func(t *testing.T) {
		b, st, clk := newBreaker()
		st.beforeNx = append(st.beforeNx, func(s *transfer.BreakerState) {
			// Another instance records a failure first.
			s.Failures, s.WindowStart, s.Version = 1, clk.Now(), s.Version+1
		})
		fail(t, b, 1)

		saves, writes := st.counts()
		assert.Equal(t, 2, saves)
		assert.Equal(t, 1, writes)
		assert.Equal(t, 2, st.state().Failures, "both failures count")
	})
	t.Run("allow loses the probe to another instance", func(t *testing.T) {
		b, st, clk := cooledBreaker(t)
		st.beforeNx = append(st.beforeNx, func(s *transfer.BreakerState) {
			s.State, s.ProbeAt, s.Version = transfer.BreakerHalfOpen, clk.Now(), s.Version+1
		})

		probe, err := b.Allow(context.Background())
		assert.False(t, probe, "the other instance won the probe")
		requireUnavailable(t, err)
	})
	t.Run("allow wins the probe after a version-only race", func(t *testing.T) {
		b, st, _ := cooledBreaker(t)
		st.beforeNx = append(st.beforeNx, func(s *transfer.BreakerState) { s.Version++ })

		probe, err := b.Allow(context.Background())
		require.NoError(t, err)
		assert.True(t, probe)
		assert.Equal(t, transfer.BreakerHalfOpen, st.state().State)
	})
}

func TestBreakerLoadError(t *testing.T) {
	b, st, _ := newBreaker()
	st.loadErr = errors.New("throttled")

	_, err := b.Allow(context.Background())
	assert.ErrorIs(t, err, st.loadErr)
	assert.ErrorIs(t, b.Record(context.Background(), transfer.Outcome{Healthy: false}), st.loadErr)
}
