package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// LockoutPolicy says when failed logins lock an account and for how long.
//
// FailuresMax failures within Window lock the account for LockBase; every further
// failure (once the lock has passed) doubles the lock, up to LockMax. A success clears
// it all. While locked, every attempt is refused without looking at the password, so
// the right password does not get through either.
type LockoutPolicy struct {
	FailuresMax int64
	Window      time.Duration
	LockBase    time.Duration
	LockMax     time.Duration
}

// Bounds of a LockoutPolicy.
const (
	LockoutFailuresMax = 1000
	LockoutSecondsMax  = 7 * 86_400
	lockDoublingsMax   = 30 // 2^30 times LockBase is past any LockMax allowed
)

// Validate refuses a policy that could never lock or never unlock.
func (p LockoutPolicy) Validate() error {
	switch {
	case p.FailuresMax < 1 || p.FailuresMax > LockoutFailuresMax:
		return fmt.Errorf("login lock-out: failures must be 1..%d", LockoutFailuresMax)
	case p.Window < time.Second || p.Window > LockoutSecondsMax*time.Second:
		return fmt.Errorf("login lock-out: window must be 1..%d seconds", LockoutSecondsMax)
	case p.LockBase < time.Second || p.LockMax < p.LockBase || p.LockMax > LockoutSecondsMax*time.Second:
		return fmt.Errorf("login lock-out: lock must be 1 second up to a maximum of at most %d seconds, base <= maximum", LockoutSecondsMax)
	}
	return nil
}

// lockFor is how long the failures-th failure locks the account; 0 below the threshold.
func (p LockoutPolicy) lockFor(failures int64) time.Duration {
	if failures < p.FailuresMax {
		return 0
	}
	doublings := failures - p.FailuresMax
	if doublings >= lockDoublingsMax {
		return p.LockMax
	}
	return min(p.LockBase<<doublings, p.LockMax)
}

// LockState is what the store holds for one account.
type LockState struct {
	Failures    int64
	LockedUntil time.Time // zero when never locked
}

// LockStore keeps failed-login state per account key.
type LockStore interface {
	// LockState returns the account's state; the zero value when there is none.
	LockState(ctx context.Context, key string) (LockState, error)
	// AddFailure counts one failure in the window that ends at windowEnds, starting a
	// new window if the stored one ended before now, and returns the failures counted.
	AddFailure(ctx context.Context, key string, now, windowEnds time.Time) (int64, error)
	// LockUntil locks the account until until and keeps its failures until keep.
	LockUntil(ctx context.Context, key string, until, keep time.Time) error
	// Clear forgets the account's failures.
	Clear(ctx context.Context, key string) error
}

// ErrLockoutContention is returned when the store kept losing races on one account.
var ErrLockoutContention = errors.New("ratelimit: login lock-out state kept changing")

// Lockout applies a LockoutPolicy. Accounts are keyed by a hash of what identifies them
// (the normalised email), whether or not the account exists, so the lock-out behaves the
// same for unknown emails and never stores an email.
type Lockout struct {
	policy LockoutPolicy
	store  LockStore
	now    func() time.Time
	// Log, when set, records each counted failure and each lock (a security audit
	// trail: the account appears only as its key's hash prefix).
	Log *slog.Logger
}

// NewLockout returns a Lockout. now may be nil for time.Now.
func NewLockout(policy LockoutPolicy, store LockStore, now func() time.Time) (*Lockout, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("ratelimit: a lock store is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Lockout{policy: policy, store: store, now: now}, nil
}

// auditKey shortens a lock key for logs: enough to follow one account, not to look it up.
func auditKey(key string) string { return key[:len("login#")+12] }

func lockKey(account string) string {
	sum := sha256.Sum256([]byte(account))
	return "login#" + hex.EncodeToString(sum[:])
}

// Check refuses the attempt with 429 rate_limited while the account is locked, and
// reports whether failures are on record (so that a success knows to clear them).
func (l *Lockout) Check(ctx context.Context, account string) (failuresOnRecord bool, err error) {
	key := lockKey(account)
	st, err := l.store.LockState(ctx, key)
	if err != nil {
		return false, fmt.Errorf("read login lock-out: %w", err)
	}
	now := l.now()
	if !st.LockedUntil.After(now) {
		return st.Failures > 0, nil
	}
	wait := st.LockedUntil.Sub(now)
	if l.Log != nil {
		l.Log.InfoContext(ctx, "login refused: account locked", slog.String("account_key", auditKey(key)),
			slog.Int64("failures", st.Failures), slog.Time("locked_until", st.LockedUntil))
	}
	return true, &problem.Error{Kind: problem.KindRateLimited, Code: "rate_limited",
		Message:           "too many failed logins for this account; retry after the number of seconds in Retry-After",
		RetryAfterSeconds: ceilSeconds(wait)}
}

// Failed records a failed attempt and locks the account when the policy says so.
func (l *Lockout) Failed(ctx context.Context, account string) error {
	key, now := lockKey(account), l.now()
	failures, err := l.store.AddFailure(ctx, key, now, now.Add(l.policy.Window))
	if err != nil {
		return fmt.Errorf("count failed login: %w", err)
	}
	lock := l.policy.lockFor(failures)
	if l.Log != nil {
		l.Log.InfoContext(ctx, "failed login counted", slog.String("account_key", auditKey(key)),
			slog.Int64("failures", failures), slog.Int64("lock_seconds", int64(lock/time.Second)))
	}
	if lock == 0 {
		return nil
	}
	until := now.Add(lock)
	if err := l.store.LockUntil(ctx, key, until, until.Add(l.policy.Window)); err != nil {
		return fmt.Errorf("lock account after failed logins: %w", err)
	}
	return nil
}

// Succeeded forgets the account's failures.
func (l *Lockout) Succeeded(ctx context.Context, account string) error {
	if err := l.store.Clear(ctx, lockKey(account)); err != nil {
		return fmt.Errorf("clear login lock-out: %w", err)
	}
	return nil
}
