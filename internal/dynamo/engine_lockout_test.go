//go:build integration

package dynamo

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ratelimit"
)

func lockState(failures int64, ends time.Time, version string) ratelimit.LockState {
	return ratelimit.LockState{Failures: failures, WindowEnds: ends, Version: version}
}

// TestLimitsSwapIsConditionalOnTheVersion: a swap from a state no longer stored writes
// nothing; a release by a version no longer stored deletes nothing.
func TestLimitsSwapIsConditionalOnTheVersion(t *testing.T) {
	db, table := engineTable(t, false)
	l := &Limits{DB: db, Table: table}
	ctx := context.Background()
	ends := time.Unix(1_800_000_060, 0)
	first := lockState(1, ends, "v1")
	ok, err := l.Swap(ctx, "login#a", ratelimit.LockState{}, first)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = l.Swap(ctx, "login#a", ratelimit.LockState{}, lockState(1, ends, "v1b"))
	require.NoError(t, err)
	assert.False(t, ok, "a creation finds the state taken")

	locked := lockState(2, ends.Add(time.Minute), "v2")
	locked.LockedUntil = ends
	ok, err = l.Swap(ctx, "login#a", first, locked)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = l.Swap(ctx, "login#a", first, lockState(2, ends, "v2b"))
	require.NoError(t, err)
	assert.False(t, ok, "a swap from an old version")
	st, err := l.LockState(ctx, "login#a")
	require.NoError(t, err)
	assert.Equal(t, locked, st)

	require.NoError(t, l.Release(ctx, "login#a", "v1"))
	st, err = l.LockState(ctx, "login#a")
	require.NoError(t, err)
	assert.Equal(t, "v2", st.Version, "a release by an old version keeps the state")
	require.NoError(t, l.Release(ctx, "login#a", "v2"))
	st, err = l.LockState(ctx, "login#a")
	require.NoError(t, err)
	assert.Equal(t, ratelimit.LockState{}, st)
}

// TestLimitsSwapSentTwiceHolds: a swap whose put the SDK sends twice (its first answer
// lost) meets its own version and reports that it held.
func TestLimitsSwapSentTwiceHolds(t *testing.T) {
	db, table := engineTable(t, false)
	ctx := context.Background()
	ends := time.Unix(1_800_000_060, 0)
	tests := []struct {
		name string
		prev ratelimit.LockState
	}{
		{"the first slot", ratelimit.LockState{}},
		{"a later slot", lockState(2, ends, "before")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("login#twice-%d", i)
			plain := &Limits{DB: db, Table: table}
			if tt.prev.Version != "" {
				ok, err := plain.Swap(ctx, key, ratelimit.LockState{}, tt.prev)
				require.NoError(t, err)
				require.True(t, ok)
			}
			twice := &Limits{DB: &sentTwice{API: db, n: 1}, Table: table}
			next := lockState(tt.prev.Failures+1, ends, "after")
			ok, err := twice.Swap(ctx, key, tt.prev, next)
			require.NoError(t, err)
			assert.True(t, ok, "the swap held")
			st, err := plain.LockState(ctx, key)
			require.NoError(t, err)
			assert.Equal(t, next, st)
		})
	}
}

// TestLockoutTakesAtMostThePolicysSlotsAtOnce: 50 slots asked for at once on DynamoDB
// give exactly the policy's failures; the rest are refused.
func TestLockoutTakesAtMostThePolicysSlotsAtOnce(t *testing.T) {
	db, table := engineTable(t, false)
	policy := ratelimit.LockoutPolicy{FailuresMax: 3, Window: time.Minute, LockBase: time.Minute, LockMax: time.Hour}
	l, err := ratelimit.NewLockout(policy, &Limits{DB: db, Table: table}, nil)
	require.NoError(t, err)
	var taken atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := l.Take(context.Background(), "ada@example.com"); err == nil {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, policy.FailuresMax, taken.Load())
}
