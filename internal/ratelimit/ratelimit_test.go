package ratelimit_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/ratelimit/ratelimittest"
)

const allClasses = "money=60/60s,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s"

func TestParseRules(t *testing.T) {
	rules, err := ratelimit.ParseRules(" " + allClasses + " ")
	require.NoError(t, err)
	assert.Equal(t, ratelimit.Rule{Limit: 60, Window: time.Minute}, rules[ratelimit.ClassMoney])
	assert.Equal(t, ratelimit.Rule{Limit: 20, Window: time.Hour}, rules[ratelimit.ClassSignup])

	bad := map[string]string{
		"empty":           "",
		"missing class":   "money=60/60s,write=120/60s,read=600/60s,signup=20/3600s",
		"unknown class":   allClasses + ",admin=1/1s",
		"twice":           allClasses + ",money=1/1s",
		"no window":       "money=60,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s",
		"zero limit":      "money=0/60s,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s",
		"huge limit":      "money=1000001/60s,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s",
		"zero window":     "money=60/0s,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s",
		"window too long": "money=60/86401s,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s",
		"not a number":    "money=lots/60s,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s",
		"minutes":         "money=60/1m,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s",
	}
	for name, spec := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := ratelimit.ParseRules(spec)
			assert.Error(t, err)
		})
	}
}

func newLimiter(t *testing.T, counter ratelimit.Counter, now func() time.Time) *ratelimit.Limiter {
	t.Helper()
	rules, err := ratelimit.ParseRules("money=3/10s,write=120/60s,read=600/60s,signup=20/3600s,login=30/60s")
	require.NoError(t, err)
	l, err := ratelimit.NewLimiter(rules, counter, now)
	require.NoError(t, err)
	return l
}

func TestLimiterWindow(t *testing.T) {
	at := time.Unix(1_800_000_004, 0) // 4 s into a 10 s window
	l := newLimiter(t, &ratelimittest.Counter{}, func() time.Time { return at })
	ctx := context.Background()

	for i, wantRemaining := range []int64{2, 1, 0} {
		d, err := l.Allow(ctx, ratelimit.ClassMoney, "user:a")
		require.NoError(t, err)
		assert.True(t, d.Allowed, "request %d", i+1)
		assert.Equal(t, wantRemaining, d.Remaining)
		assert.Equal(t, map[string]string{"RateLimit-Limit": "3", "RateLimit-Remaining": strconv.FormatInt(wantRemaining, 10), "RateLimit-Reset": "6"}, d.Headers())
	}
	d, err := l.Allow(ctx, ratelimit.ClassMoney, "user:a")
	require.NoError(t, err)
	assert.False(t, d.Allowed)
	assert.Equal(t, "6", d.Headers()["Retry-After"])
	var p *problem.Error
	require.ErrorAs(t, d.Err(), &p)
	assert.Equal(t, problem.KindRateLimited, p.Kind)
	assert.Equal(t, 6, p.RetryAfterSeconds)

	other, err := l.Allow(ctx, ratelimit.ClassMoney, "user:b")
	require.NoError(t, err)
	assert.True(t, other.Allowed, "each subject has its own count")
	read, err := l.Allow(ctx, ratelimit.ClassRead, "user:a")
	require.NoError(t, err)
	assert.True(t, read.Allowed, "each class has its own count")

	at = at.Add(6 * time.Second) // the next window
	next, err := l.Allow(ctx, ratelimit.ClassMoney, "user:a")
	require.NoError(t, err)
	assert.True(t, next.Allowed)
	assert.Equal(t, int64(2), next.Remaining)
	assert.Equal(t, "10", next.Headers()["RateLimit-Reset"])
}

func TestLimiterLetsExactlyTheLimitThroughAConcurrentBurst(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	l := newLimiter(t, &ratelimittest.Counter{}, func() time.Time { return at })
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 30 {
		wg.Go(func() {
			d, err := l.Allow(context.Background(), ratelimit.ClassMoney, "user:a")
			assert.NoError(t, err)
			if d.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 3, allowed)
}

func TestLimiterStoreError(t *testing.T) {
	l := newLimiter(t, &ratelimittest.Counter{Err: errors.New("throttled")}, nil)
	_, err := l.Allow(context.Background(), ratelimit.ClassMoney, "user:a")
	assert.Error(t, err)
	_, err = l.Allow(context.Background(), ratelimit.Class("nope"), "user:a")
	assert.Error(t, err)
}

func TestLockoutPolicyValidate(t *testing.T) {
	good := ratelimit.LockoutPolicy{FailuresMax: 5, Window: 15 * time.Minute, LockBase: 30 * time.Second, LockMax: time.Hour}
	require.NoError(t, good.Validate())
	tests := map[string]func(p *ratelimit.LockoutPolicy){
		"no failures":     func(p *ratelimit.LockoutPolicy) { p.FailuresMax = 0 },
		"too many":        func(p *ratelimit.LockoutPolicy) { p.FailuresMax = 1001 },
		"no window":       func(p *ratelimit.LockoutPolicy) { p.Window = 0 },
		"no lock":         func(p *ratelimit.LockoutPolicy) { p.LockBase = 0 },
		"max below base":  func(p *ratelimit.LockoutPolicy) { p.LockMax = time.Second },
		"max over a week": func(p *ratelimit.LockoutPolicy) { p.LockMax = 8 * 24 * time.Hour },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			p := good
			change(&p)
			assert.Error(t, p.Validate())
		})
	}
}

func TestLockoutDoublesUpToTheMaximum(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	policy := ratelimit.LockoutPolicy{FailuresMax: 2, Window: time.Hour, LockBase: time.Second, LockMax: 5 * time.Second}
	l, err := ratelimit.NewLockout(policy, &ratelimittest.Locks{}, func() time.Time { return at })
	require.NoError(t, err)
	ctx := context.Background()
	tests := []struct {
		failure   int
		wantRetry int // 0: not locked
	}{{1, 0}, {2, 1}, {3, 2}, {4, 4}, {5, 5}, {40, 5}}
	done := 0
	for _, tt := range tests {
		for done < tt.failure {
			at = at.Add(10 * time.Second) // past any lock
			_, err := l.Take(ctx, "ada@example.com")
			require.NoError(t, err, "failure %d", done+1)
			done++
		}
		_, err := l.Take(ctx, "ada@example.com") // at the same instant
		if tt.wantRetry == 0 {
			assert.NoError(t, err, "failure %d", tt.failure)
			done++
			continue
		}
		var p *problem.Error
		require.ErrorAs(t, err, &p, "failure %d", tt.failure)
		assert.Equal(t, tt.wantRetry, p.RetryAfterSeconds, "failure %d", tt.failure)
	}
}

// TestLockoutSuccessClearsOnlyWhatItSaw: a success gives back its own slot only while
// the state is still the one its slot wrote; a failure counted after it stays.
func TestLockoutSuccessClearsOnlyWhatItSaw(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	policy := ratelimit.LockoutPolicy{FailuresMax: 3, Window: time.Hour, LockBase: time.Minute, LockMax: time.Hour}
	locks := &ratelimittest.Locks{}
	l, err := ratelimit.NewLockout(policy, locks, func() time.Time { return at })
	require.NoError(t, err)
	ctx := context.Background()
	mine, err := l.Take(ctx, "ada@example.com")
	require.NoError(t, err)
	_, err = l.Take(ctx, "ada@example.com") // a guess in flight beside it
	require.NoError(t, err)
	require.NoError(t, l.Succeeded(ctx, "ada@example.com", mine))
	assert.Equal(t, 1, locks.Accounts(), "the later failure is kept")
	_, err = l.Take(ctx, "ada@example.com")
	require.NoError(t, err)
	_, err = l.Take(ctx, "ada@example.com")
	var p *problem.Error
	require.ErrorAs(t, err, &p, "three slots taken: locked")

	last, err := l.Take(ctx, "bob@example.com")
	require.NoError(t, err)
	require.NoError(t, l.Succeeded(ctx, "bob@example.com", last))
	assert.Equal(t, 1, locks.Accounts(), "a success that saw only itself clears its account")
}
