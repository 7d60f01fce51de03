package transfer

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/serverless-wallet/wallet/internal/metrics"

	"github.com/serverless-wallet/wallet/internal/retry"
)

// Breaker states.
const (
	BreakerClosed   = "CLOSED"
	BreakerOpen     = "OPEN"
	BreakerHalfOpen = "HALF_OPEN"
)

// BreakerState is the shared state of the circuit breaker, one item in DynamoDB.
type BreakerState struct {
	State       string    `dynamodbav:"state"`
	Failures    int       `dynamodbav:"failures"`
	WindowStart time.Time `dynamodbav:"window_start"`
	OpenedAt    time.Time `dynamodbav:"opened_at"`
	ProbeAt     time.Time `dynamodbav:"probe_at"`
	Version     int64     `dynamodbav:"version"`
}

// BreakerStore loads and saves the breaker; Save is conditional on the version that
// was loaded and fails with retry.ErrConflict when another instance saved first.
type BreakerStore interface {
	LoadBreaker(ctx context.Context) (BreakerState, error)
	SaveBreaker(ctx context.Context, next BreakerState) error
}

// BreakerConfig sets the thresholds.
type BreakerConfig struct {
	FailuresMax     int // failures within the window that open the breaker
	WindowSeconds   int
	CooldownSeconds int // how long it stays open before one probe is let through
}

// Default breaker settings.
const (
	DefaultBreakerFailuresMax     = 5
	DefaultBreakerWindowSeconds   = 60
	DefaultBreakerCooldownSeconds = 30
	probeTimeoutSeconds           = 30 // a probe that never reported frees the slot after this
)

// Breaker refuses new transfers fast after repeated saga failures. Its state is shared
// by every instance through the store; state changes are conditional writes, so when
// the cool-down ends exactly one caller wins the half-open probe.
type Breaker struct {
	Store   BreakerStore
	Config  BreakerConfig
	Now     func() time.Time
	Metrics *metrics.Emitter // counts state changes; nil: none
}

// save writes next over st and counts a change of state.
func (b *Breaker) save(ctx context.Context, st, next BreakerState) error {
	if err := b.Store.SaveBreaker(ctx, next); err != nil {
		return err
	}
	from, to := st.State, next.State
	if from == "" {
		from = BreakerClosed
	}
	if to != from {
		b.Metrics.Put(metrics.BreakerTransitions, 1, []metrics.Dim{metrics.D("State", string(to))})
	}
	return nil
}

func (b *Breaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func retryAfter(seconds float64) int {
	return int(math.Max(1, math.Ceil(seconds)))
}

// Allow says whether a new transfer may start; probe is true when it is the one
// half-open trial whose outcome decides whether the breaker closes.
func (b *Breaker) Allow(ctx context.Context) (probe bool, err error) {
	err = retry.Conflicts(ctx, func(int) error {
		st, err := b.Store.LoadBreaker(ctx)
		if err != nil {
			return err
		}
		now := b.now()
		cooldown := time.Duration(b.Config.CooldownSeconds) * time.Second
		switch st.State {
		case BreakerOpen:
			if wait := st.OpenedAt.Add(cooldown).Sub(now); wait > 0 {
				return unavailable(retryAfter(wait.Seconds()))
			}
		case BreakerHalfOpen:
			if now.Sub(st.ProbeAt) < probeTimeoutSeconds*time.Second {
				return unavailable(1)
			}
		default:
			probe = false
			return nil
		}
		next := st
		next.State, next.ProbeAt = BreakerHalfOpen, now
		if err := b.save(ctx, st, next); err != nil {
			return err // a conflict: another instance changed it, look again
		}
		probe = true
		return nil
	})
	if errors.Is(err, retry.ErrContention) {
		return false, unavailable(1)
	}
	return probe, err
}

func unavailable(seconds int) error {
	e := *ErrUnavailable
	e.RetryAfterSeconds = seconds
	return &e
}

// Outcome is how a saga ended, as the breaker counts it.
type Outcome struct {
	Healthy bool // the saga ran its steps: a business refusal is healthy, a failed step is not
	Probe   bool // the saga was the half-open breaker's probe
}

// Record reports a saga outcome. Successes of a closed breaker cost nothing; a failure
// counts within the window; a probe's outcome closes or reopens the breaker.
func (b *Breaker) Record(ctx context.Context, o Outcome) error {
	ok, probe := o.Healthy, o.Probe
	err := retry.Conflicts(ctx, func(int) error {
		st, err := b.Store.LoadBreaker(ctx)
		if err != nil {
			return err
		}
		now := b.now()
		next := st
		switch {
		case ok && st.State == BreakerClosed, ok && st.State == "":
			return nil
		case ok && probe:
			next = BreakerState{State: BreakerClosed, Version: st.Version}
		case ok:
			return nil // a straggler's success does not decide an open breaker
		case st.State == BreakerHalfOpen || st.State == BreakerOpen:
			next.State, next.OpenedAt = BreakerOpen, now
		default:
			window := time.Duration(b.Config.WindowSeconds) * time.Second
			if now.Sub(st.WindowStart) > window {
				next.Failures, next.WindowStart = 0, now
			}
			next.State = BreakerClosed
			next.Failures++
			if next.Failures >= b.Config.FailuresMax {
				next.State, next.OpenedAt = BreakerOpen, now
			}
		}
		return b.save(ctx, st, next)
	})
	if errors.Is(err, retry.ErrContention) {
		return nil // losing every race means others are recording the same news
	}
	return err
}
