// Package retry is the one way to retry an optimistic write that lost a race: a
// bounded number of attempts, jittered exponential back-off, and a time budget taken
// from the caller's deadline (a Lambda function's timeout), so that a function gives a
// clear answer long before its platform kills it.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// ErrConflict means the state an operation decided on moved on before its conditional
// write landed: decide again on fresh state. Stores return it; only Conflicts acts on it.
var ErrConflict = errors.New("concurrent change, retry")

// ErrContention is the answer when conflicts kept coming until the budget ran out:
// nothing was written, and the same request may be sent again (409 with Retry-After).
var ErrContention = &problem.Error{Kind: problem.KindConflict, Code: "contention", RetryAfterSeconds: 1,
	Message: "the resource is changing too fast; retry with the same Idempotency-Key"}

// Bounds of one retried operation.
const (
	AttemptsMax  = 64
	backoffMinUs = 1_000  // the first pause is up to 1 ms …
	backoffMaxUs = 64_000 // … doubling to at most 64 ms
	// budgetShare is the part of the time left at the start (until the context's
	// deadline) that retries may use; the rest is kept for what follows (releasing
	// an idempotency claim, answering).
	budgetShare = 0.5
)

// ShareOfTimeLeft is share of the time left before ctx's deadline, and false when ctx
// has no deadline: the one way every time budget here is derived from a function's
// timeout instead of a constant of its own.
func ShareOfTimeLeft(ctx context.Context, share float64) (time.Duration, bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return time.Duration(float64(time.Until(deadline)) * share), true
}

// Conflicts runs fn until it returns anything other than ErrConflict. When conflicts
// use up AttemptsMax or the time budget (half of what is left before ctx's deadline),
// it returns ErrContention. fn receives the attempt number, from 1.
func Conflicts(ctx context.Context, fn func(attempt int) error) error {
	stop := time.Time{}
	if budget, ok := ShareOfTimeLeft(ctx, budgetShare); ok {
		stop = time.Now().Add(budget)
	}
	pauseMaxUs := backoffMinUs
	for attempt := 1; attempt <= AttemptsMax; attempt++ {
		err := fn(attempt)
		if !errors.Is(err, ErrConflict) {
			return err
		}
		pause := time.Duration(rand.IntN(pauseMaxUs)+1) * time.Microsecond // #nosec G404 -- jitter, not security
		if !stop.IsZero() && time.Now().Add(pause).After(stop) {
			break
		}
		select {
		case <-ctx.Done():
			return ErrContention
		case <-time.After(pause):
		}
		pauseMaxUs = min(pauseMaxUs*2, backoffMaxUs)
	}
	return ErrContention
}
