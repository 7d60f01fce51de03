package transfer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/retry"
)

// ExpireHolds releases holds past their expiry and returns how many it released. It
// walks the whole backlog, oldest first, page by page (at most sweepPagesMax pages, and
// only while the sweep's own time budget lasts; the schedule runs it again); a hold it
// cannot release now is reported and skipped, not a reason to stop.
func (s *Service) ExpireHolds(ctx context.Context) (int, error) {
	stop := time.Time{}
	if budget, ok := retry.ShareOfTimeLeft(ctx, sweepBudgetShare); ok {
		stop = time.Now().Add(budget)
	}
	released, after := 0, ""
	var errs []error
	for page := 0; page < sweepPagesMax; page++ {
		if !stop.IsZero() && time.Now().After(stop) {
			break
		}
		ids, next, err := s.Store.ExpiredHolds(ctx, s.now(), expiredHoldsPageSize, after)
		if err != nil {
			return released, errors.Join(append(errs, err)...)
		}
		for _, id := range ids {
			freed, err := s.expireHold(ctx, id)
			if err != nil {
				errs = append(errs, fmt.Errorf("expire hold of transfer %s: %w", id, err))
				continue
			}
			if freed {
				released++
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	return released, errors.Join(errs...)
}

// expireHold releases one expired hold, or drops a stale index entry; freed says
// whether this call released it.
func (s *Service) expireHold(ctx context.Context, id string) (bool, error) {
	var freed bool
	err := retry.Conflicts(ctx, func(int) error {
		t, err := s.Store.Transfer(ctx, id)
		if err != nil {
			return err
		}
		if t.Status != StatusHeld {
			// Captured or voided first (which already dropped the index entry), or an
			// entry left behind: make sure it is gone either way.
			return s.Store.ForgetHold(ctx, t)
		}
		if s.now().Before(t.ExpiresAt) {
			// The index keys hold whole seconds, so a hold may be named up to a second
			// before it expires: it stays capturable until expires_at, and the next
			// sweep releases it.
			return nil
		}
		if err := s.expire(ctx, t); err != nil {
			return err
		}
		freed = true
		return nil
	})
	return freed, err
}

// expire releases a HELD transfer's hold because it expired; the commit is conditional
// on the transfer's version, so the sweeper and a late capture or void race safely.
func (s *Service) expire(ctx context.Context, t Transfer) error {
	ch, err := s.releaseChange(ctx, t)
	if err != nil {
		if s.movedOn(ctx, t) {
			return retry.ErrConflict
		}
		return err
	}
	before := t
	ch.Before = &before
	ch.After.Version, ch.After.UpdatedAt, ch.After.FailureReason = t.Version+1, s.now(), ReasonExpired
	ch.After.record("expire", "succeeded", "", ch.After.UpdatedAt, ch.After.UpdatedAt)
	if err := s.Store.CommitTransfer(ctx, *ch); err != nil {
		return err
	}
	countOutcome(s.Metrics, before, ch.After)
	return nil
}
