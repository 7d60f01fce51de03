package transfer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

// countingStore counts the loads that reach the shared store.
type countingStore struct {
	*breakerStore
	mu    sync.Mutex
	loads int
}

func (s *countingStore) LoadBreaker(ctx context.Context) (transfer.BreakerState, error) {
	s.mu.Lock()
	s.loads++
	s.mu.Unlock()
	return s.breakerStore.LoadBreaker(ctx)
}

func (s *countingStore) loaded() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

func newCachedBreaker() (*transfer.Breaker, *countingStore, *clock) {
	st, clk := &countingStore{breakerStore: newBreakerStore()}, newClock()
	cached := transfer.NewCachedBreakerStore(st)
	cached.Now = clk.Now
	b := &transfer.Breaker{Store: cached, Now: clk.Now, Config: transfer.BreakerConfig{
		FailuresMax: testFailuresMax, WindowSeconds: testWindowSeconds, CooldownSeconds: testCooldownSeconds}}
	return b, st, clk
}

func TestCachedBreakerReadsTheItemOncePerTTL(t *testing.T) {
	b, st, clk := newCachedBreaker()
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		_, err := b.Allow(ctx)
		require.NoError(t, err)
		require.NoError(t, b.Record(ctx, transfer.Outcome{Healthy: true}))
	}
	assert.Equal(t, 1, st.loaded(), "100 breaker reads within the cache time reach the item once")
	clk.Advance(transfer.BreakerCacheSeconds * time.Second)
	_, err := b.Allow(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, st.loaded(), "a copy as old as the cache time is read again")
}

func TestCachedBreakerStaleCopyOnlyDelaysTheGate(t *testing.T) {
	cases := []struct {
		name string
		// other is another instance changing the shared item after this one cached it.
		other     func(*breakerStore, time.Time)
		staleOK   bool // what this instance's Allow says while its copy is fresh
		freshOK   bool // and once the copy is older than the cache time
		wantState string
	}{
		{"opened elsewhere: new sagas still start until the copy expires, then are refused",
			func(s *breakerStore, now time.Time) {
				s.st = transfer.BreakerState{State: transfer.BreakerOpen, OpenedAt: now, Version: s.st.Version + 1}
			}, true, false, transfer.BreakerOpen},
		{"closed elsewhere: still refused until the copy expires, then allowed",
			func(s *breakerStore, _ time.Time) {
				s.st = transfer.BreakerState{State: transfer.BreakerClosed, Version: s.st.Version + 1}
			}, false, true, transfer.BreakerClosed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, st, clk := newCachedBreaker()
			ctx := context.Background()
			if !c.staleOK {
				fail(t, b, testFailuresMax) // this instance opened it (and its save dropped the copy)
			}
			_, err := b.Allow(ctx) // caches what the item says now
			assert.Equal(t, c.staleOK, err == nil, "err = %v", err)
			c.other(st.breakerStore, clk.Now())
			_, err = b.Allow(ctx)
			assert.Equal(t, c.staleOK, err == nil, "a fresh copy answers as before: err = %v", err)
			clk.Advance(transfer.BreakerCacheSeconds * time.Second)
			_, err = b.Allow(ctx)
			assert.Equal(t, c.freshOK, err == nil, "err = %v", err)
			assert.Equal(t, c.wantState, st.state().State)
		})
	}
}

func TestCachedBreakerChangeOnAStaleCopyLosesAndRereads(t *testing.T) {
	b, st, clk := newCachedBreaker()
	ctx := context.Background()
	fail(t, b, testFailuresMax-1) // one short of opening
	_, err := b.Allow(ctx)        // caches failures = FailuresMax-1
	require.NoError(t, err)
	// Another instance records the failure that opens it.
	st.breakerStore.mu.Lock()
	st.st.Failures, st.st.State, st.st.OpenedAt = testFailuresMax, transfer.BreakerOpen, clk.Now()
	st.st.Version++
	st.breakerStore.mu.Unlock()
	version := st.state().Version
	// This instance records a failure from its stale copy: the save loses on the version,
	// the copy is dropped, and the retry reads the item and re-opens it from what it says.
	require.NoError(t, b.Record(ctx, transfer.Outcome{Healthy: false}))
	assert.Equal(t, transfer.BreakerOpen, st.state().State)
	assert.Equal(t, version+1, st.state().Version, "exactly one change, made on the version read fresh")
	_, err = b.Allow(ctx)
	requireUnavailable(t, err)
}

func TestCachedBreakerOneProbeAcrossInstances(t *testing.T) {
	shared := &countingStore{breakerStore: newBreakerStore()}
	clk := newClock()
	shared.st = transfer.BreakerState{State: transfer.BreakerOpen, OpenedAt: clk.Now(), Version: 7}
	const instances = 8
	breakers := make([]*transfer.Breaker, instances)
	for i := range breakers {
		c := transfer.NewCachedBreakerStore(shared)
		c.Now = clk.Now
		breakers[i] = &transfer.Breaker{Store: c, Now: clk.Now, Config: transfer.BreakerConfig{
			FailuresMax: testFailuresMax, WindowSeconds: testWindowSeconds, CooldownSeconds: testCooldownSeconds}}
		_, err := breakers[i].Allow(context.Background()) // every instance caches OPEN
		requireUnavailable(t, err)
	}
	clk.Advance(testCooldownSeconds * time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	probes := 0
	for _, b := range breakers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probe, err := b.Allow(context.Background())
			mu.Lock()
			defer mu.Unlock()
			if err == nil && probe {
				probes++
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, probes, "stale OPEN copies in every instance still let exactly one probe through")
}
