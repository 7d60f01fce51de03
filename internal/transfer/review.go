package transfer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// ReviewCase is an open manual-review case: a transfer whose saga could not compensate,
// with the error that stopped it.
type ReviewCase struct {
	TransferID string    `json:"transfer_id"`
	OpenedAt   time.Time `json:"opened_at"`
	Phase      string    `json:"phase,omitempty"`
	Error      string    `json:"error,omitempty"`
	Cause      string    `json:"cause,omitempty"`
}

// ReviewMessage is a message of the manual-review queue, as the state machine's
// NeedsReview state sends it.
type ReviewMessage struct {
	TransferID string       `json:"transfer_id"`
	Phase      string       `json:"phase"`
	Error      *CaughtError `json:"error"`
}

// ReviewStore is what the review desk reads besides Store.
type ReviewStore interface {
	// ReviewCases returns up to limit open cases, newest first, after cursor, and the
	// cursor of the next page ("" on the last).
	ReviewCases(ctx context.Context, limit int, cursor string) ([]ReviewCase, string, error)
	// TransfersByID reads transfers by id, in the order given; an id without its transfer
	// is an error (every id comes from an index item).
	TransfersByID(ctx context.Context, ids []string) ([]Transfer, error)
	// TransfersWithStatus returns up to limit transfers in status that were last
	// changed before updatedBefore, newest first within the page, after cursor.
	TransfersWithStatus(ctx context.Context, status Status, updatedBefore time.Time, limit int, cursor string) ([]Transfer, string, error)
	// OpenReviewCases counts the open cases.
	OpenReviewCases(ctx context.Context) (int, error)
}

// Limits of the review desk, in the units their names carry.
const (
	reviewCauseRunesMax = 400 // of the caught error kept on a case
	DeskPageSizeMax     = 100
	DeskPageSizeDefault = 25
	// DeskAgeSecondsMax bounds older_than_seconds (30 days).
	DeskAgeSecondsMax = 2_592_000
)

// Resolve actions.
const (
	ActionRetry    = "retry"    // run the step the saga did not finish: its compensation (or mark it COMPLETED when it posted)
	ActionComplete = "complete" // post the open hold to the destination: COMPLETED
	ActionReverse  = "reverse"  // give the hold back: FAILED, reason "reversed"
)

// ReasonReversed is the failure reason of a transfer an admin reversed.
const ReasonReversed = "reversed"

// StalledAfterSeconds is how long a transfer must have stayed PENDING or CAPTURING
// before an operator may resolve it: the longest an Express execution of its saga can
// run (statemachines/transfer.asl.json, TimeoutSeconds), so no execution started before
// its last change is still running. (A replay may start a new one at any time; every
// step and every resolution is conditional on the version it read, so they cannot
// both settle it.)
const StalledAfterSeconds = 300

// Errors of the review desk.
var (
	ErrNotInReview     = problem.Unprocessable("transfer_not_in_review", "only a NEEDS_REVIEW transfer, or one PENDING or CAPTURING for longer than its saga can run, can be resolved")
	ErrHoldNotCaptured = problem.Unprocessable("hold_not_captured", "the payer never captured this hold, and only the payer settles a hold: retry puts it back HELD for the payer, reverse releases it")
	ErrNothingToPost   = problem.Unprocessable("no_hold_to_post", "nothing is held for this transfer, so it cannot be completed; reverse it, and the payer sends it again")
	ErrPosted          = problem.Unprocessable("transfer_posted", "the money was posted: complete it (a reversal is a new transfer from the payee)")
	ErrLegacyCredit    = problem.Unprocessable("legacy_credit_open", "an earlier version's saga credited this transfer from transit; it needs a manual posting")
	errNotYetInReview  = errors.New("the transfer is not NEEDS_REVIEW yet: its saga has still to mark it")
)

// Money says where a transfer's money is: derived from the step flags, which are written
// in the same transaction as the money they describe.
type Money struct {
	Reserved       bool   `json:"reserved"`
	Released       bool   `json:"released"`
	Posted         bool   `json:"posted"`
	HoldOpenMinor  int64  `json:"hold_open_amount"`
	HoldWalletID   string `json:"hold_wallet_id,omitempty"`
	PostingID      string `json:"posting_id,omitempty"`
	LegacyCredited bool   `json:"legacy_credited,omitempty"`
}

// MoneyOf says where t's money is.
func MoneyOf(t Transfer) Money {
	m := Money{Reserved: t.Reserved, Released: t.Released, Posted: t.Captured, LegacyCredited: t.Credited && !t.Captured && !t.Reversed}
	if t.holdOpen() {
		m.HoldOpenMinor, m.HoldWalletID = t.AmountMinor, t.SourceWalletID
	}
	if t.Captured {
		m.PostingID = PostingIDOf(t)
	}
	return m
}

func (t Transfer) holdOpen() bool { return t.Reserved && !t.Released && !t.Captured }

// HoldFactsOf is what the ledger check needs of a transfer (see ledger.Check).
func HoldFactsOf(t Transfer) ledger.HoldFacts {
	return ledger.HoldFacts{TransferID: t.ID, WalletID: t.SourceWalletID, HoldMinor: t.AmountMinor, CaptureMinor: t.CaptureMinor,
		PostingID: PostingIDOf(t), Reserved: t.Reserved, Released: t.Released, Posted: t.Captured,
		RefundOf: t.RefundOf, RefundedMinor: t.RefundedMinor, RefundIDs: t.RefundIDs}
}

// DeskItem is a transfer as the review desk shows it: with its steps, where its money
// is, and its open case.
type DeskItem struct {
	View
	Money  Money       `json:"money"`
	Review *ReviewCase `json:"review,omitempty"`
}

// DeskPage is one page of the review desk.
type DeskPage struct {
	Items      []DeskItem `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

// DeskQuery selects the desk's transfers: NEEDS_REVIEW (open cases, newest first),
// HELD past expiry (oldest expiry first), or FAILED or PENDING last changed more than
// OlderThanSeconds ago.
type DeskQuery struct {
	Status           Status
	OlderThanSeconds int64
	Limit            int
	Cursor           string
}

// Desk answers GET /v1/admin/transfers.
func (s *Service) Desk(ctx context.Context, c op.Caller, q DeskQuery) (DeskPage, error) {
	if !c.IsAdmin() {
		return DeskPage{}, problem.ErrForbidden
	}
	if err := op.CheckPageSize(q.Limit, DeskPageSizeMax); err != nil {
		return DeskPage{}, err
	}
	if q.OlderThanSeconds < 0 || q.OlderThanSeconds > DeskAgeSecondsMax {
		return DeskPage{}, problem.Invalid("invalid_age", fmt.Sprintf("older_than_seconds must be 0 to %d", DeskAgeSecondsMax))
	}
	var page DeskPage
	var next string
	var err error
	switch q.Status {
	case StatusNeedsReview:
		page.Items, next, err = s.openCases(ctx, q)
	case StatusHeld:
		page.Items, next, err = s.overdueHolds(ctx, q)
	case StatusFailed, StatusPending, StatusCapturing:
		var ts []Transfer
		ts, next, err = s.Reviews.TransfersWithStatus(ctx, q.Status, s.now().Add(-time.Duration(q.OlderThanSeconds)*time.Second), q.Limit, q.Cursor)
		for _, t := range ts {
			page.Items = append(page.Items, deskItemOf(t, nil))
		}
	default:
		return DeskPage{}, problem.Invalid("invalid_status", "status must be NEEDS_REVIEW, HELD, FAILED, PENDING or CAPTURING")
	}
	if err != nil {
		return DeskPage{}, err
	}
	if page.Items == nil {
		page.Items = []DeskItem{}
	}
	page.NextCursor = op.NextCursor(next)
	return page, nil
}

func deskItemOf(t Transfer, rc *ReviewCase) DeskItem {
	return DeskItem{View: DetailedViewOf(t), Money: MoneyOf(t), Review: rc}
}

func (s *Service) openCases(ctx context.Context, q DeskQuery) ([]DeskItem, string, error) {
	cases, next, err := s.Reviews.ReviewCases(ctx, q.Limit, q.Cursor)
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, 0, len(cases))
	for _, rc := range cases {
		ids = append(ids, rc.TransferID)
	}
	ts, err := s.Reviews.TransfersByID(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	byID := make(map[string]Transfer, len(ts))
	for _, t := range ts {
		byID[t.ID] = t
	}
	var items []DeskItem
	for _, rc := range cases {
		if t, ok := byID[rc.TransferID]; ok && t.Status == StatusNeedsReview {
			items = append(items, deskItemOf(t, &rc))
		}
	}
	return items, next, nil
}

func (s *Service) overdueHolds(ctx context.Context, q DeskQuery) ([]DeskItem, string, error) {
	ids, next, err := s.Store.ExpiredHolds(ctx, s.now().Add(-time.Duration(q.OlderThanSeconds)*time.Second), q.Limit, q.Cursor)
	if err != nil {
		return nil, "", err
	}
	ts, err := s.Reviews.TransfersByID(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	var items []DeskItem
	for _, t := range ts {
		if t.Status == StatusHeld {
			items = append(items, deskItemOf(t, nil))
		}
	}
	return items, next, nil
}

// RecordCase records the review case of a message from the manual-review queue, once:
// a redelivered message, or a case already resolved, changes nothing. A message that
// arrives before the state machine marked its transfer NEEDS_REVIEW is an error, so
// the queue delivers it again. A message about no transfer is dropped: no retry finds one.
func (s *Service) RecordCase(ctx context.Context, m ReviewMessage) error {
	if !op.IsID(m.TransferID) {
		return fmt.Errorf("review message without a transfer id: %q", m.TransferID)
	}
	opened, mode := false, ""
	err := retry.Conflicts(ctx, func(int) error {
		opened = false
		t, err := s.Store.Transfer(ctx, m.TransferID)
		if errors.Is(err, problem.ErrNotFound) {
			return nil // no such transfer: nothing to review, and no retry would find one
		}
		if err != nil {
			return err
		}
		if t.Status != StatusNeedsReview {
			if t.Status.Final() {
				return nil // resolved (or never sent for review): nothing to open
			}
			return errNotYetInReview
		}
		if !t.ReviewOpenedAt.IsZero() {
			return nil
		}
		now := s.now()
		rc := ReviewCase{TransferID: t.ID, OpenedAt: now, Phase: m.Phase}
		if m.Error != nil {
			rc.Error, rc.Cause = m.Error.Error, truncateRunes(m.Error.Cause, reviewCauseRunesMax)
		}
		before := t
		after := t
		after.ReviewOpenedAt, after.Version = now, t.Version+1
		if err := s.Store.CommitTransfer(ctx, Change{Before: &before, After: after, Case: &rc}); err != nil {
			return err
		}
		opened, mode = true, t.Mode
		return nil
	})
	if err == nil && opened {
		id := metrics.D("transfer_id", m.TransferID)
		s.Metrics.Put(metrics.ReviewCasesOpened, 1, nil, id)
		s.Metrics.Put(metrics.Transfers, 1, []metrics.Dim{metrics.D("Outcome", string(StatusNeedsReview)), metrics.D("Mode", mode)}, id)
	}
	return err
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// OpenReviewCases counts the open review cases.
func (s *Service) OpenReviewCases(ctx context.Context) (int, error) {
	return s.Reviews.OpenReviewCases(ctx)
}
