package transfer

import (
	"context"
	"time"
)

// Fault is an injected failure for tests.
type Fault struct {
	Mode    string `dynamodbav:"mode"` // one of the Fault modes below, or "delay" (DelayMs alone)
	DelayMs int    `dynamodbav:"delay_ms"`
}

// Fault modes.
const (
	FaultFail    = "fail"    // the step fails (Transient) before it does anything
	FaultContend = "contend" // the step reports Contention before it does anything
	// FaultTwice commits the step's change, then fails as if its answer were lost, so
	// the state machine runs the step a second time (at-least-once task delivery).
	FaultTwice = "twice"
)

// Faults tells a step which fault to act out; nil in production deployments.
type Faults interface {
	Fault(ctx context.Context, step string) (Fault, bool, error)
}

// injectFault acts out the step's injected fault, if any, before the step runs, and
// returns it (the twice mode acts after the step's commit, in run).
func (s *Steps) injectFault(ctx context.Context, step string) (Fault, error) {
	if s.Faults == nil {
		return Fault{}, nil
	}
	f, ok, err := s.Faults.Fault(ctx, step)
	if err != nil {
		return Fault{}, &Transient{Cause: "read injected faults: " + err.Error()}
	}
	if !ok {
		return Fault{}, nil
	}
	if f.DelayMs > 0 {
		select {
		case <-ctx.Done():
			return f, &Transient{Cause: "injected delay cut short: " + ctx.Err().Error()}
		case <-time.After(time.Duration(f.DelayMs) * time.Millisecond):
		}
	}
	switch f.Mode {
	case FaultFail:
		return f, &Transient{Cause: "injected fault in " + step}
	case FaultContend:
		return f, &Contention{Step: step}
	}
	return f, nil
}
