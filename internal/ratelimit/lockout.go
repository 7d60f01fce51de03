package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// LockoutPolicy says when failed logins lock an account and for how long.
//
// FailuresMax failures within Window lock the account for LockBase; every further
// failure (once the lock has passed) doubles the lock, up to LockMax. A success clears
// the state it found. While locked, every attempt is refused without looking at the password, so
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

// LockState is what the store holds for one account. Version names the write that
// stored it (empty when nothing is stored); every write stores a new one.
type LockState struct {
	Failures    int64
	WindowEnds  time.Time
	LockedUntil time.Time // zero when never locked
	Version     string
}

// LockStore keeps failed-login state per account key.
type LockStore interface {
	// LockState returns the account's state (read consistently); the zero value when
	// there is none.
	LockState(ctx context.Context, key string) (LockState, error)
	// Swap stores next on condition that the stored state is still prev (same Version;
	// absent when prev.Version is empty), keeping the item until next.WindowEnds. It
	// reports false, writing nothing, when the state changed meanwhile.
	Swap(ctx context.Context, key string, prev, next LockState) (bool, error)
	// Release deletes the state on condition that it is still the one version wrote.
	Release(ctx context.Context, key, version string) error
}

// lockoutSwapsMax bounds Take's read-and-swap loop: one swap wins each round, and the
// guesses that lose more rounds than this are refused as if locked (retry in a second).
const lockoutSwapsMax = 8

// Lockout applies a LockoutPolicy. Accounts are keyed by a hash of what identifies them
// (the normalised email), whether or not the account exists, so the lock-out behaves the
// same for unknown emails and never stores an email.
//
// Every attempt takes a failure slot before its password is checked, with one
// conditional write that also sets the lock the slot earns; a success gives its slot
// back. So at most FailuresMax passwords are checked per window however many guesses
// arrive at once, a lock only ever grows, and a success clears only the state it wrote.
type Lockout struct {
	policy LockoutPolicy
	store  LockStore
	now    func() time.Time
	// Log, when set, records each slot taken and each lock (a security audit trail:
	// the account appears only as its key's hash prefix).
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

// lockedError is the 429 for an attempt refused without its password being looked at.
func lockedError(wait time.Duration) error {
	return &problem.Error{Kind: problem.KindRateLimited, Code: "rate_limited",
		Message:           "too many failed logins for this account; retry after the number of seconds in Retry-After",
		RetryAfterSeconds: ceilSeconds(wait)}
}

// next is the state after one more failure slot taken at now.
func (l *Lockout) next(st LockState, now time.Time) LockState {
	n := LockState{Failures: 1, WindowEnds: now.Add(l.policy.Window), LockedUntil: st.LockedUntil, Version: uuid.NewString()}
	if st.Version != "" && st.WindowEnds.After(now) {
		n.Failures, n.WindowEnds = st.Failures+1, st.WindowEnds
	}
	// st is not locked (Take refuses while it is), so the lock set here only grows it.
	if lock := l.policy.lockFor(n.Failures); lock > 0 {
		n.LockedUntil = now.Add(lock)
		if keep := n.LockedUntil.Add(l.policy.Window); keep.After(n.WindowEnds) {
			n.WindowEnds = keep
		}
	}
	return n
}

// Take takes a failure slot for one login attempt before its password is checked: 429
// rate_limited while the account is locked or its slots are gone. The slot counts as a
// failure unless Succeeded gives it back; it returns the slot's version for that.
func (l *Lockout) Take(ctx context.Context, account string) (string, error) {
	key := lockKey(account)
	for range lockoutSwapsMax {
		st, err := l.store.LockState(ctx, key)
		if err != nil {
			return "", fmt.Errorf("read login lock-out: %w", err)
		}
		now := l.now()
		if st.LockedUntil.After(now) {
			if l.Log != nil {
				l.Log.InfoContext(ctx, "login refused: account locked", slog.String("account_key", auditKey(key)),
					slog.Int64("failures", st.Failures), slog.Time("locked_until", st.LockedUntil))
			}
			return "", lockedError(st.LockedUntil.Sub(now))
		}
		next := l.next(st, now)
		ok, err := l.store.Swap(ctx, key, st, next)
		if err != nil {
			return "", fmt.Errorf("take a login slot: %w", err)
		}
		if !ok {
			continue
		}
		if l.Log != nil {
			l.Log.InfoContext(ctx, "login slot taken", slog.String("account_key", auditKey(key)),
				slog.Int64("failures", next.Failures), slog.Time("locked_until", next.LockedUntil))
		}
		return next.Version, nil
	}
	if l.Log != nil {
		l.Log.WarnContext(ctx, "login refused: lock-out state kept changing", slog.String("account_key", auditKey(key)))
	}
	return "", lockedError(time.Second)
}

// Succeeded gives back the slot a successful login took: the account's state is cleared
// if it is still the one that slot wrote, and left as it is otherwise.
func (l *Lockout) Succeeded(ctx context.Context, account, slot string) error {
	if err := l.store.Release(ctx, lockKey(account), slot); err != nil {
		return fmt.Errorf("clear login lock-out: %w", err)
	}
	return nil
}
