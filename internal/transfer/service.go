package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
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
	Reviews ReviewStore      // the review desk's reads; nil where no desk route runs
	Metrics *metrics.Emitter // nil: no metrics
	// Recipients and Lookups resolve a transfer's recipient (see recipientWallet); nil
	// where no transfer to a person is created.
	Recipients Recipients
	Lookups    LookupQuota
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
	DestinationWalletID  string      `json:"destination_wallet_id,omitempty"`
	Recipient            *Recipient  `json:"recipient,omitempty"`
	Amount               money.Minor `json:"amount"`
	Currency             string      `json:"currency"`
	Description          string      `json:"description,omitempty"`
	Mode                 string      `json:"mode,omitempty"`
	HoldExpiresInSeconds *int        `json:"hold_expires_in_seconds,omitempty"`
}

// Result is an answer: status and JSON body, and whether it replays a key.
type Result = op.Result

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
	if err := op.ValidateDescription(in.Description); err != nil {
		return err
	}
	switch {
	case in.SourceWalletID == "":
		return problem.Invalid("missing_field", "source_wallet_id is required")
	case in.DestinationWalletID == "" && in.Recipient == nil:
		return problem.Invalid("missing_field", "destination_wallet_id or recipient is required")
	case in.DestinationWalletID != "" && in.Recipient != nil:
		return problem.Invalid("invalid_destination", "give destination_wallet_id or recipient, not both")
	}
	if in.SourceWalletID == in.DestinationWalletID {
		return ledger.ErrSameWallet
	}
	return nil
}

func (s *Service) wallet(ctx context.Context, id string) (ledger.Wallet, error) {
	if !op.IsID(id) {
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
func (s *Service) Create(ctx context.Context, c op.Caller, key string, in CreateInput) (Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Result{}, err
	}
	hash, err := idempotency.Hash("transfer", "", in)
	if err != nil {
		return Result{}, err
	}
	return s.create(ctx, c, key, hash, func(id string) (Transfer, bool, error) { return s.open(ctx, c, id, hash, in) })
}

// create is the one way a transfer is created (a payment, a refund): the key's claim,
// the replay of a transfer the key already has, then open's new transfer written under
// the id derived from the key, and its saga.
func (s *Service) create(ctx context.Context, c op.Caller, key, hash string, open func(id string) (Transfer, bool, error)) (Result, error) {
	id := IDFor(c.UserID, key)
	claim := idempotency.NewClaim(c.UserID, key, hash)
	replay, err := s.Idem.Begin(ctx, claim, s.now())
	switch {
	case replay != nil:
		return s.replay(ctx, replay, PhaseStart) // a record completed before transfer ids were derived
	case errors.Is(err, idempotency.ErrInProgress):
		// The first request with this key is running, or stopped: once it has written
		// the transfer, this is a replay of it.
		t, rerr := s.Store.Transfer(ctx, id)
		if rerr != nil {
			return Result{}, errors.Join(err, ignoreNotFound(rerr))
		}
		return s.replayTransfer(ctx, t, hash, PhaseStart)
	case err != nil:
		return Result{}, err
	}
	// The claim is new, or took over a record whose request stopped or whose 24 hours
	// ran out: the transfer may exist all the same. It is read before open, whose
	// checks (its wallets, the breaker, which may hand this request its probe) are a new
	// transfer's, never a replay's.
	if t, err := s.Store.Transfer(ctx, id); !errors.Is(err, problem.ErrNotFound) {
		if err == nil {
			var res Result
			if res, err = s.replayTransfer(ctx, t, hash, PhaseStart); err == nil {
				return res, nil
			}
		}
		return Result{}, errors.Join(err, s.Idem.Release(context.WithoutCancel(ctx), claim))
	}
	t, probe, err := open(id)
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
	if s.Log != nil { // the link from the API request to the transfer's id, which every later line carries
		s.Log.InfoContext(ctx, "transfer created", slog.String("transfer_id", t.ID), slog.String("api_request_id", c.RequestID),
			slog.String("mode", t.Mode))
	}
	return s.runAndAnswer(ctx, t, SagaInput{TransferID: t.ID, Phase: PhaseStart, Mode: t.Mode}, probe, op.Created)
}

func ignoreNotFound(err error) error {
	if errors.Is(err, problem.ErrNotFound) {
		return nil
	}
	return err
}

// open checks a new transfer (the input, both wallets, the breaker) and builds it.
func (s *Service) open(ctx context.Context, c op.Caller, id, hash string, in CreateInput) (Transfer, bool, error) {
	if err := in.validate(); err != nil {
		return Transfer{}, false, err
	}
	src, err := s.wallet(ctx, in.SourceWalletID)
	if err != nil || src.OwnerID != c.UserID {
		return Transfer{}, false, orNotFound(err)
	}
	var dst ledger.Wallet
	if in.Recipient != nil {
		dst, err = s.recipientWallet(ctx, c.UserID, *in.Recipient, in.Currency)
	} else {
		dst, err = s.wallet(ctx, in.DestinationWalletID)
	}
	if err != nil {
		return Transfer{}, false, err
	}
	switch {
	case src.ID == dst.ID:
		return Transfer{}, false, ledger.ErrSameWallet
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

func (s *Service) replay(ctx context.Context, r *idempotency.Response, phase string) (Result, error) {
	t, err := s.markedTransfer(ctx, r)
	if err != nil {
		return Result{}, err
	}
	return s.replayTransfer(ctx, t, "", phase)
}

// markedTransfer reads the transfer a completed key's record names (see marker).
func (s *Service) markedTransfer(ctx context.Context, r *idempotency.Response) (Transfer, error) {
	var m struct {
		TransferID string `json:"transfer_id"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil || m.TransferID == "" {
		return Transfer{}, fmt.Errorf("transfer idempotency record without a transfer id: %q", r.Body)
	}
	return s.Store.Transfer(ctx, m.TransferID)
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
		res, err := s.runAndAnswer(ctx, t, SagaInput{TransferID: t.ID, Phase: p, Mode: t.Mode, Attempt: int(s.now().Unix())}, false, op.Created)
		res.Replayed = true
		return res, err
	}
	ok := op.Created
	if phase != PhaseStart {
		ok = op.Done
	}
	res, err := answer(t, ok)
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
func (s *Service) runAndAnswer(ctx context.Context, known Transfer, in SagaInput, probe bool, ok op.Outcome) (Result, error) {
	wait, cancel := context.WithTimeout(ctx, s.sagaWait(ctx))
	defer cancel()
	runErr := s.Saga.Run(wait, in)
	if runErr != nil && wait.Err() != nil {
		s.Log.WarnContext(ctx, "saga did not finish in time", slog.String("transfer_id", known.ID), slog.String("error", runErr.Error()))
		return answer(known, ok)
	}
	t, err := s.Store.Transfer(ctx, known.ID)
	if err != nil {
		return Result{}, err
	}
	// Failures are counted by the saga itself (Steps.Finalize); the request only reports
	// how its half-open probe ended, when it ended.
	if probe && (t.Status.Final() || t.Status == StatusHeld) {
		healthy := t.FailureReason != ReasonStepFailed && t.Status != StatusNeedsReview
		if err := s.Breaker.Record(context.WithoutCancel(ctx), Outcome{Healthy: healthy, Probe: true}); err != nil {
			s.Log.WarnContext(ctx, "breaker record failed", slog.String("transfer_id", known.ID), slog.String("error", err.Error()))
		}
	}
	return answer(t, ok)
}

// answer renders a transfer as the answer to the request that started (or settled) it:
// ok once it stopped (COMPLETED, HELD, RELEASED, or NEEDS_REVIEW: final until an
// operator acts, its body says so), Accepted only while its saga runs (PENDING,
// CAPTURING), and a refusal carrying the transfer when it failed.
func answer(t Transfer, ok op.Outcome) (Result, error) {
	v := ViewOf(t)
	switch t.Status {
	case StatusFailed:
		code := t.FailureReason
		if code == "" || code == ReasonStepFailed {
			code = "transfer_failed"
		}
		return Result{Refusal: &problem.Error{Kind: problem.KindUnprocessable, Code: code,
			Message: "the transfer failed and moved no money", Details: map[string]any{"transfer_id": t.ID, "transfer": v}}}, nil
	case StatusCompleted, StatusHeld, StatusReleased, StatusNeedsReview:
		body, err := json.Marshal(v)
		return Result{Outcome: ok, Body: body}, err
	default:
		body, err := json.Marshal(v)
		return Result{Outcome: op.Accepted, Body: body}, err
	}
}

func orNotFound(err error) error {
	if err == nil {
		return problem.ErrNotFound
	}
	return err
}
