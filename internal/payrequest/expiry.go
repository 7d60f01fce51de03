package payrequest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/retry"
)

// Limits of one expiry sweep, in the units their names carry: it reads at most
// sweepPagesMax pages of dueRequestsPageSize entries, and stops when sweepBudgetShare
// of its invocation's time is spent (the schedule runs it again).
const (
	dueRequestsPageSize = 100
	sweepPagesMax       = 1_000 // 100,000 requests per run at most
	sweepBudgetShare    = 0.8   // of the sweep function's time; the rest is kept to report
)

// ExpireRequests stores EXPIRED on every PENDING request whose expiry has passed and
// returns how many it moved. Each move is conditional (PENDING, expiry at or before
// now), so a request paid, declined or cancelled meanwhile is left alone, a sweep
// applied twice moves nothing the second time, and of a sweep and a payment racing for
// one request exactly one wins. A request it cannot move now is reported and skipped,
// not a reason to stop.
func (s *Service) ExpireRequests(ctx context.Context) (int, error) {
	stop := time.Time{}
	if budget, ok := retry.ShareOfTimeLeft(ctx, sweepBudgetShare); ok {
		stop = time.Now().Add(budget)
	}
	expired, after := 0, ""
	var errs []error
	for page := 0; page < sweepPagesMax; page++ {
		if !stop.IsZero() && time.Now().After(stop) {
			break
		}
		now := s.now()
		due, next, err := s.Store.DueRequests(ctx, now, dueRequestsPageSize, after)
		if err != nil {
			return expired, errors.Join(append(errs, err)...)
		}
		for _, d := range due {
			var moved bool
			err := retry.Conflicts(ctx, func(int) error { // a payment racing the move: decide again
				var err error
				moved, err = s.Store.ExpireRequest(ctx, d, now)
				return err
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("expire payment request %s: %w", d.ID, err))
				continue
			}
			if moved {
				expired++
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	return expired, errors.Join(errs...)
}
