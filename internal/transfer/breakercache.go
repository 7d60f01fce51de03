package transfer

import (
	"context"
	"sync"
	"time"
)

// BreakerCacheSeconds is how long a function instance serves the breaker from its own
// copy before it reads the shared item again. Every transfer asks the breaker twice
// (Allow when it starts, Record when its saga ends); read from the one shared item each
// time, they would cap all transfers at one partition's reads. With the copy, the item
// is read at most once per instance per this time, whatever the traffic.
//
// What a stale copy can cause: for up to this long after the breaker opens, an instance
// that read it closed still lets new sagas start (a few more calls to the failing
// dependency, each saga still compensated when its step fails); for up to this long
// after it closes or half-opens, an instance still refuses new transfers with 503 and a
// Retry-After. What it cannot cause: a wrong state change, or a second half-open probe,
// because every change is a write conditional on the version read, and a change that
// loses drops the copy and reads the item again; nor anything about money, because the
// breaker only decides whether a new saga starts, and no balance, posting or hold rule
// reads it.
const BreakerCacheSeconds = 3

// CachedBreakerStore is a BreakerStore that serves loads from a copy at most TTL old.
// Saves go to the store and drop the copy, won or lost, so the next load is fresh.
type CachedBreakerStore struct {
	Store BreakerStore
	TTL   time.Duration
	Now   func() time.Time

	mu     sync.Mutex
	copy   BreakerState
	readAt time.Time
	held   bool
}

var _ BreakerStore = (*CachedBreakerStore)(nil)

// NewCachedBreakerStore caches store's breaker for BreakerCacheSeconds.
func NewCachedBreakerStore(store BreakerStore) *CachedBreakerStore {
	return &CachedBreakerStore{Store: store, TTL: BreakerCacheSeconds * time.Second}
}

func (c *CachedBreakerStore) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// LoadBreaker implements BreakerStore.
func (c *CachedBreakerStore) LoadBreaker(ctx context.Context) (BreakerState, error) {
	c.mu.Lock()
	if c.held && c.now().Sub(c.readAt) < c.TTL {
		st := c.copy
		c.mu.Unlock()
		return st, nil
	}
	c.mu.Unlock()
	readAt := c.now()
	st, err := c.Store.LoadBreaker(ctx)
	if err != nil {
		return st, err
	}
	c.mu.Lock()
	c.copy, c.readAt, c.held = st, readAt, true
	c.mu.Unlock()
	return st, nil
}

// SaveBreaker implements BreakerStore.
func (c *CachedBreakerStore) SaveBreaker(ctx context.Context, next BreakerState) error {
	c.mu.Lock()
	c.held = false
	c.mu.Unlock()
	err := c.Store.SaveBreaker(ctx, next)
	c.mu.Lock()
	c.held = false // a load that raced the save may have kept the state from before it
	c.mu.Unlock()
	return err
}
