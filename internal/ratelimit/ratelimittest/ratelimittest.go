// Package ratelimittest holds in-memory stores for tests of code that limits requests or
// locks out logins. They keep the stores' contracts (one counted or refused hit; ended
// failure windows restart) without DynamoDB.
package ratelimittest

import (
	"context"
	"sync"
	"time"

	"github.com/serverless-wallet/wallet/internal/ratelimit"
)

// Counter is an in-memory ratelimit.Counter.
type Counter struct {
	mu   sync.Mutex
	hits map[string]int64
	Err  error // returned by every call when set
}

var _ ratelimit.Counter = (*Counter)(nil)

// Hit counts one hit unless key holds limit.
func (c *Counter) Hit(_ context.Context, key string, limit int64, _ time.Time) (int64, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Err != nil {
		return 0, false, c.Err
	}
	if c.hits == nil {
		c.hits = map[string]int64{}
	}
	if c.hits[key] >= limit {
		return c.hits[key], false, nil
	}
	c.hits[key]++
	return c.hits[key], true, nil
}

// Keys returns how many distinct windows have been counted.
func (c *Counter) Keys() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.hits)
}

// Locks is an in-memory ratelimit.LockStore.
type Locks struct {
	mu    sync.Mutex
	state map[string]ratelimit.LockState
}

var _ ratelimit.LockStore = (*Locks)(nil)

// LockState returns the account's state.
func (l *Locks) LockState(_ context.Context, key string) (ratelimit.LockState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state[key], nil
}

// Swap stores next if the state is still prev.
func (l *Locks) Swap(_ context.Context, key string, prev, next ratelimit.LockState) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == nil {
		l.state = map[string]ratelimit.LockState{}
	}
	if l.state[key].Version != prev.Version {
		return false, nil
	}
	l.state[key] = next
	return true, nil
}

// Release forgets the account if its state is still version's.
func (l *Locks) Release(_ context.Context, key, version string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state[key].Version == version {
		delete(l.state, key)
	}
	return nil
}

// Accounts returns how many accounts have state.
func (l *Locks) Accounts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.state)
}
