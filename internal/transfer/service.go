package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Phases of the saga.
const (
	PhaseStart  = "start"  // reserve, then credit and capture (immediate) or stop at HELD (hold)
	PhaseSettle = "settle" // credit and capture a HELD transfer
)

// SagaInput starts one saga execution.
type SagaInput struct {
	TransferID string `json:"transfer_id"`
	Phase      string `json:"phase"`
	Mode       string `json:"mode"`
	Attempt    int    `json:"attempt"`
}

// Runner runs the saga and returns when it ended or ctx expired.
type Runner interface {
	Run(ctx context.Context, in SagaInput) error
}

// Service implements the transfer API.
type Service struct {
	Store   Store
	Idem    idempotency.Store
	Saga    Runner
	Breaker *Breaker
	Log     *slog.Logger
	// SagaWaitSeconds is how long a request waits for the saga before answering 202.
	SagaWaitSeconds int
	Now             func() time.Time
}

// Limits of the service.
const (
	DefaultSagaWaitSeconds  = 6
	sagaRestartAfterSeconds = 30 // a PENDING transfer this old, replayed, gets its saga started again
	expiredHoldsPageSize    = 100
	sweepPagesMax           = 1_000 // 100,000 holds per run at most
	sweepBudgetShare        = 0.8   // of the sweep function's time; the rest is kept to report
	descriptionRunesMax     = 140
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// CreateInput is the body of POST /v1/transfers.
type CreateInput struct {
	SourceWalletID       string      `json:"source_wallet_id"`
	DestinationWalletID  string      `json:"destination_wallet_id"`
	Amount               money.Minor `json:"amount"`
	Currency             string      `json:"currency"`
	Description          string      `json:"description,omitempty"`
	Mode                 string      `json:"mode,omitempty"`
	HoldExpiresInSeconds *int        `json:"hold_expires_in_seconds,omitempty"`
}

// Result is an answer: status and JSON body, and whether it replays a key.
type Result = wallet.Result

func (in *CreateInput) validate() error {
	if err := money.Positive(int64(in.Amount)); err != nil {
		return err
	}
	if _, err := money.ParseCurrency(in.Currency); err != nil {
		return err
	}
	if in.Mode == "" {
		in.Mode = ModeImmediate
	}
	if in.Mode != ModeImmediate && in.Mode != ModeHold {
		return problem.Invalid("invalid_mode", `mode must be "immediate" or "hold"`)
	}
	if in.HoldExpiresInSeconds != nil {
		if in.Mode != ModeHold {
			return problem.Invalid("invalid_hold_expiry", "hold_expires_in_seconds applies to mode hold only")
		}
		if n := *in.HoldExpiresInSeconds; n < HoldExpirySecondsMin || n > HoldExpirySecondsMax {
			return problem.Invalid("invalid_hold_expiry", fmt.Sprintf("hold_expires_in_seconds must be %d to %d", HoldExpirySecondsMin, HoldExpirySecondsMax))
		}
	}
	if err := wallet.ValidateDescription(in.Description); err != nil {
		return err
	}
	if in.SourceWalletID == "" || in.DestinationWalletID == "" {
		return problem.Invalid("missing_field", "source_wallet_id and destination_wallet_id are required")
	}
	if in.SourceWalletID == in.DestinationWalletID {
		return ledger.ErrSameWallet
	}
	return nil
}

func (s *Service) wallet(ctx context.Context, id string) (ledger.Wallet, error) {
	if !wallet.IsID(id) {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return s.Store.Wallet(ctx, id)
}

// Create starts a transfer and answers with its outcome when the saga ends within
// SagaWaitSeconds, else 202 PENDING.
//
// The key comes first: a request whose key was used before replays before any other
// check, so a retry of a transfer that happened never hears that it did not (because a
// wallet was frozen since, say). The idempotency record claims the key across the API
// (one key, one request, on every endpoint); the transfer's id is derived from the key
// (IDFor), and its conditional write is what makes the transfer happen once, so the
// record is not written a second time to complete it.
func (s *Service) Create(ctx context.Context, c wallet.Caller, key string, in CreateInput) (Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Result{}, err
	}
	hash, err := idempotency.Hash("transfer", "", in)
	if err != nil {
		return Result{}, err
	}
	claim := idempotency.NewClaim(c.UserID, key, hash)
	replay, err := s.Idem.Begin(ctx, claim, s.now())
	switch {
	case replay != nil:
		return s.replay(ctx, replay, PhaseStart) // a record completed before transfer ids were derived
	case errors.Is(err, idempotency.ErrInProgress):
		// The first request with this key is running, or stopped: once it has written
		// the transfer, this is a replay of it.
		t, rerr := s.Store.Transfer(ctx, IDFor(c.UserID, key))
		if rerr != nil {
			return Result{}, errors.Join(err, ignoreNotFound(rerr))
		}
		return s.replayTransfer(ctx, t, hash, PhaseStart)
	case err != nil:
		return Result{}, err
	}
	// The claim is new, or took over a record whose request stopped or whose 24 hours
	// ran out: the transfer may exist all the same.
	id := IDFor(c.UserID, key)
	if t, err := s.Store.Transfer(ctx, id); !errors.Is(err, problem.ErrNotFound) {
		if err == nil {
			var res Result
			if res, err = s.replayTransfer(ctx, t, hash, PhaseStart); err == nil {
				return res, nil
			}
		}
		return Result{}, errors.Join(err, s.Idem.Release(context.WithoutCancel(ctx), claim))
	}
	t, probe, err := s.open(ctx, c, id, hash, in)
	if err == nil {
		err = s.Store.CreateTransfer(ctx, t)
	}
	if errors.Is(err, ErrExists) { // a request with this key that took the claim over wrote it first
		won, rerr := s.Store.Transfer(ctx, id)
		if rerr != nil {
			return Result{}, rerr
		}
		return s.replayTransfer(ctx, won, hash, PhaseStart)
	}
	if err != nil {
		return Result{}, errors.Join(err, s.Idem.Release(context.WithoutCancel(ctx), claim))
	}
	return s.runAndAnswer(ctx, t, SagaInput{TransferID: t.ID, Phase: PhaseStart, Mode: t.Mode}, probe, http.StatusCreated)
}

func ignoreNotFound(err error) error {
	if errors.Is(err, problem.ErrNotFound) {
		return nil
	}
	return err
}

// open checks a new transfer (the input, both wallets, the breaker) and builds it.
func (s *Service) open(ctx context.Context, c wallet.Caller, id, hash string, in CreateInput) (Transfer, bool, error) {
	if err := in.validate(); err != nil {
		return Transfer{}, false, err
	}
	src, err := s.wallet(ctx, in.SourceWalletID)
	if err != nil || src.OwnerID != c.UserID {
		return Transfer{}, false, orNotFound(err)
	}
	dst, err := s.wallet(ctx, in.DestinationWalletID)
	if err != nil {
		return Transfer{}, false, err
	}
	switch {
	case src.Currency != in.Currency || dst.Currency != in.Currency:
		return Transfer{}, false, ledger.ErrCurrencyMismatch
	case src.Status != ledger.StatusActive || dst.Status != ledger.StatusActive:
		return Transfer{}, false, ledger.ErrWalletNotActive
	}
	probe, err := s.Breaker.Allow(ctx)
	if err != nil {
		return Transfer{}, false, err
	}
	now := s.now()
	t := Transfer{ID: id, RequestHash: hash[:RequestHashChars], SourceWalletID: src.ID, DestinationWalletID: dst.ID, SourceOwnerID: src.OwnerID,
		DestinationOwnerID: dst.OwnerID, AmountMinor: int64(in.Amount), CaptureMinor: int64(in.Amount), Currency: in.Currency,
		Description: in.Description, Mode: in.Mode, Status: StatusPending, CreatedAt: now, UpdatedAt: now, Version: 1}
	if in.Mode == ModeHold {
		secs := HoldExpirySecondsDefault
		if in.HoldExpiresInSeconds != nil {
			secs = *in.HoldExpiresInSeconds
		}
		t.ExpiresAt = now.Add(time.Duration(secs) * time.Second)
	}
	return t, probe, nil
}

// marker is the idempotency record's content for a transfer: its id. A replay renders
// the transfer's current state, so once final it is always the final answer.
func marker(claim idempotency.Claim, id string) *idempotency.Completion {
	body, _ := json.Marshal(map[string]string{"transfer_id": id})
	return &idempotency.Completion{Claim: claim, Response: idempotency.Response{StatusCode: http.StatusAccepted, Body: body}}
}

func (s *Service) replay(ctx context.Context, r *idempotency.Response, phase string) (Result, error) {
	var m struct {
		TransferID string `json:"transfer_id"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil || m.TransferID == "" {
		return Result{}, fmt.Errorf("transfer idempotency record without a transfer id: %q", r.Body)
	}
	t, err := s.Store.Transfer(ctx, m.TransferID)
	if err != nil {
		return Result{}, err
	}
	return s.replayTransfer(ctx, t, "", phase)
}

// replayTransfer answers a request whose key already has its transfer: with the
// transfer's current state, after restarting its saga when it stalled. hash, when
// given, must be the one the transfer was created with.
func (s *Service) replayTransfer(ctx context.Context, t Transfer, hash, phase string) (Result, error) {
	if hash != "" && t.RequestHash != "" && t.RequestHash != hash[:RequestHashChars] {
		return Result{}, idempotency.ErrKeyReused
	}
	stale := s.now().Sub(t.UpdatedAt) > sagaRestartAfterSeconds*time.Second
	if (t.Status == StatusPending || t.Status == StatusCapturing) && stale {
		p := PhaseStart
		if t.Status == StatusCapturing {
			p = PhaseSettle
		} else if err := s.Store.IndexTransfer(ctx, t); err != nil { // its creator may have stopped before the entries
			return Result{}, err
		}
		res, err := s.runAndAnswer(ctx, t, SagaInput{TransferID: t.ID, Phase: p, Mode: t.Mode, Attempt: int(s.now().Unix())}, false, http.StatusCreated)
		res.Replayed = true
		return res, err
	}
	okStatus := http.StatusCreated
	if phase != PhaseStart {
		okStatus = http.StatusOK
	}
	res, err := answer(t, okStatus)
	res.Replayed = true
	return res, err
}

// sagaWaitShare is the most of the request's remaining time that waiting for the saga
// may take; the rest is kept to read the transfer and answer.
const sagaWaitShare = 0.6

// sagaWait is how long a request waits for its saga: SagaWaitSeconds, or less when the
// request has less time left (a slow cold start, a busy platform), so that it answers
// 202 in time instead of running into its function's timeout.
func (s *Service) sagaWait(ctx context.Context) time.Duration {
	wait := time.Duration(s.SagaWaitSeconds) * time.Second
	if share, ok := retry.ShareOfTimeLeft(ctx, sagaWaitShare); ok {
		wait = min(wait, share)
	}
	return wait
}

// runAndAnswer runs the saga for the transfer as this request wrote it (known) and
// answers with how it ended, or with 202 and known when the wait ran out: then the
// transfer is read no more, which keeps a busy platform from making the answer late.
func (s *Service) runAndAnswer(ctx context.Context, known Transfer, in SagaInput, probe bool, okStatus int) (Result, error) {
	wait, cancel := context.WithTimeout(ctx, s.sagaWait(ctx))
	defer cancel()
	runErr := s.Saga.Run(wait, in)
	if runErr != nil && wait.Err() != nil {
		s.Log.WarnContext(ctx, "saga did not finish in time", slog.String("transfer_id", known.ID), slog.String("error", runErr.Error()))
		return answer(known, okStatus)
	}
	t, err := s.Store.Transfer(ctx, known.ID)
	if err != nil {
		return Result{}, err
	}
	// Failures are counted by the saga itself (Steps.Finalize); the request only reports
	// how its half-open probe ended, when it ended.
	if probe && (t.Status.Final() || t.Status == StatusHeld) {
		healthy := t.FailureReason != ReasonStepFailed && t.Status != StatusNeedsReview
		if err := s.Breaker.Record(context.WithoutCancel(ctx), healthy, true); err != nil {
			s.Log.WarnContext(ctx, "breaker record failed", slog.String("transfer_id", known.ID), slog.String("error", err.Error()))
		}
	}
	return answer(t, okStatus)
}

// answer renders a transfer as the API's answer to the request that started (or
// settled) it.
func answer(t Transfer, okStatus int) (Result, error) {
	v := ViewOf(t, false)
	switch t.Status {
	case StatusFailed:
		code := t.FailureReason
		if code == "" || code == ReasonStepFailed {
			code = "transfer_failed"
		}
		body, err := json.Marshal(map[string]any{"error": map[string]any{"code": code,
			"message": "the transfer failed and moved no money", "details": map[string]any{"transfer_id": t.ID, "transfer": v}}})
		return Result{StatusCode: http.StatusUnprocessableEntity, Body: body}, err
	case StatusCompleted, StatusHeld, StatusReleased:
		body, err := json.Marshal(v)
		return Result{StatusCode: okStatus, Body: body}, err
	default:
		body, err := json.Marshal(v)
		return Result{StatusCode: http.StatusAccepted, Body: body}, err
	}
}

func orNotFound(err error) error {
	if err == nil {
		return problem.ErrNotFound
	}
	return err
}

// visible reads a transfer the caller may see: the owner of either wallet, or an admin.
func (s *Service) visible(ctx context.Context, c wallet.Caller, id string) (Transfer, error) {
	if !wallet.IsID(id) {
		return Transfer{}, problem.ErrNotFound
	}
	t, err := s.Store.Transfer(ctx, id)
	if err != nil {
		return Transfer{}, err
	}
	if t.SourceOwnerID != c.UserID && t.DestinationOwnerID != c.UserID && !c.IsAdmin {
		return Transfer{}, problem.ErrNotFound
	}
	return t, nil
}

// Get returns a transfer with its saga steps.
func (s *Service) Get(ctx context.Context, c wallet.Caller, id string) (View, error) {
	t, err := s.visible(ctx, c, id)
	if err != nil {
		return View{}, err
	}
	return ViewOf(t, true), nil
}

// Page is a page of transfers.
type Page struct {
	Items      []View  `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// List returns the transfers the caller takes part in, newest first, optionally only
// those of one of its wallets: one query per wallet (a caller has at most
// wallet.WalletsPerOwnerMax) and one batch read of the page's transfers.
func (s *Service) List(ctx context.Context, c wallet.Caller, walletID string, limit int, cursor string) (Page, error) {
	if limit < 1 || limit > ListPageSizeMax {
		return Page{}, problem.Invalid("invalid_limit", fmt.Sprintf("limit must be an integer from 1 to %d", ListPageSizeMax))
	}
	walletIDs := []string{walletID}
	if walletID != "" {
		w, err := s.wallet(ctx, walletID)
		if err != nil || (w.OwnerID != c.UserID && !c.IsAdmin) {
			return Page{}, orNotFound(err)
		}
	} else {
		ids, err := s.Store.WalletIDsOf(ctx, c.UserID)
		if err != nil {
			return Page{}, err
		}
		walletIDs = ids
	}
	p := Page{Items: []View{}}
	if len(walletIDs) == 0 {
		return p, nil
	}
	ts, next, err := s.Store.TransfersOfWallets(ctx, walletIDs, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	for _, t := range ts {
		p.Items = append(p.Items, ViewOf(t, false))
	}
	if next != "" {
		p.NextCursor = &next
	}
	return p, nil
}

// CaptureInput is the body of POST /v1/transfers/{id}/capture.
type CaptureInput struct {
	Amount *money.Minor `json:"amount,omitempty"`
}

// Capture settles a HELD transfer, fully or partly (the rest is released). Capture,
// void and expiry race through one conditional write from HELD: one wins, the others
// get ErrNotHeld.
func (s *Service) Capture(ctx context.Context, c wallet.Caller, id, key string, in CaptureInput) (Result, error) {
	return s.settle(ctx, c, id, key, "capture", in, func(t Transfer) (*Change, error) {
		amount := t.AmountMinor
		if in.Amount != nil {
			amount = int64(*in.Amount)
		}
		if amount <= 0 || amount > t.AmountMinor {
			return nil, ErrCaptureAmount
		}
		// A frozen wallet on either side refuses the capture; the hold stays for a void
		// or its expiry. (A freeze that lands after this check fails the settle saga's
		// credit step, whose compensation releases the hold.)
		for _, id := range []string{t.SourceWalletID, t.DestinationWalletID} {
			w, err := s.Store.Wallet(ctx, id)
			if err != nil {
				return nil, err
			}
			if w.Status != ledger.StatusActive {
				return nil, ledger.ErrWalletNotActive
			}
		}
		after := t
		after.Status, after.CaptureMinor = StatusCapturing, amount
		return &Change{After: after}, nil
	})
}

// Void releases a HELD transfer's hold.
func (s *Service) Void(ctx context.Context, c wallet.Caller, id, key string) (Result, error) {
	return s.settle(ctx, c, id, key, "void", struct{}{}, func(t Transfer) (*Change, error) {
		return s.releaseChange(ctx, t)
	})
}

func (s *Service) releaseChange(ctx context.Context, t Transfer) (*Change, error) {
	src, err := s.Store.Wallet(ctx, t.SourceWalletID)
	if err != nil {
		return nil, err
	}
	d, err := ledger.Release(src, t.AmountMinor, s.now())
	if err != nil {
		return nil, err
	}
	after := t
	after.Status, after.Released = StatusReleased, true
	return &Change{Deltas: deltas(d), After: after}, nil
}

func (s *Service) settle(ctx context.Context, c wallet.Caller, id, key, op string, body any, decide func(Transfer) (*Change, error)) (Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Result{}, err
	}
	hash, err := idempotency.Hash(op, id, body)
	if err != nil {
		return Result{}, err
	}
	claim := idempotency.NewClaim(c.UserID, key, hash)
	replay, err := s.Idem.Begin(ctx, claim, s.now()) // the key comes first, as in Create
	if err != nil {
		return Result{}, err
	}
	if replay != nil {
		return s.replay(ctx, replay, PhaseSettle)
	}
	t, err := s.visible(ctx, c, id)
	if err == nil && t.SourceOwnerID != c.UserID {
		err = problem.ErrNotFound // the receiver may see it, only the payer settles it
	}
	if err != nil {
		return Result{}, errors.Join(err, s.Idem.Release(context.WithoutCancel(ctx), claim))
	}
	var won Transfer
	err = retry.Conflicts(ctx, func(attempt int) error {
		if attempt > 1 {
			var err error
			if t, err = s.Store.Transfer(ctx, id); err != nil {
				return err
			}
		}
		if t.Status == StatusReleased && t.FailureReason == ReasonExpired {
			return ErrHoldExpired
		}
		if t.Status != StatusHeld {
			return ErrNotHeld
		}
		if !t.ExpiresAt.IsZero() && !s.now().Before(t.ExpiresAt) {
			// Past its expiry a hold can only be released: do it now, exactly once (the
			// commit is conditional on the transfer's version, as the sweeper's is).
			if err := s.expire(ctx, t); err != nil {
				return err
			}
			return ErrHoldExpired
		}
		ch, err := decide(t)
		if err != nil {
			// Deciding on a transfer that a racer settled meanwhile can fail on the wallet
			// it already changed (its hold is gone): that racer won.
			if fresh, ferr := s.Store.Transfer(ctx, id); ferr == nil && fresh.Status != StatusHeld {
				return ErrNotHeld
			}
			return err
		}
		before := t
		ch.Before, ch.Completion = &before, marker(claim, t.ID)
		ch.After.Version, ch.After.UpdatedAt = t.Version+1, s.now()
		ch.After.record(op, "succeeded", "", ch.After.UpdatedAt, ch.After.UpdatedAt)
		if err := s.Store.CommitTransfer(ctx, *ch); err != nil {
			return err
		}
		won = ch.After
		return nil
	})
	if err != nil {
		if !errors.Is(err, idempotency.ErrInProgress) {
			err = errors.Join(err, s.Idem.Release(context.WithoutCancel(ctx), claim))
		}
		return Result{}, err
	}
	if won.Status == StatusCapturing {
		return s.runAndAnswer(ctx, won, SagaInput{TransferID: won.ID, Phase: PhaseSettle, Mode: won.Mode}, false, http.StatusOK)
	}
	return answer(won, http.StatusOK)
}

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
		if fresh, ferr := s.Store.Transfer(ctx, t.ID); ferr == nil && fresh.Version != t.Version {
			return retry.ErrConflict // settled by a racer meanwhile: decide again
		}
		return err
	}
	before := t
	ch.Before = &before
	ch.After.Version, ch.After.UpdatedAt, ch.After.FailureReason = t.Version+1, s.now(), ReasonExpired
	ch.After.record("expire", "succeeded", "", ch.After.UpdatedAt, ch.After.UpdatedAt)
	return s.Store.CommitTransfer(ctx, *ch)
}
