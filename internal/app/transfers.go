package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// transferParts builds the transfer steps' and service's shared parts.
func (d *Deps) transferParts() (*dynamo.Ledger, *transfer.Breaker, error) {
	store := d.ledgerStore()
	cfg := transfer.BreakerConfig{FailuresMax: transfer.DefaultBreakerFailuresMax, WindowSeconds: transfer.DefaultBreakerWindowSeconds,
		CooldownSeconds: transfer.DefaultBreakerCooldownSeconds}
	for name, v := range map[string]*int{"BREAKER_FAILURES_MAX": &cfg.FailuresMax, "BREAKER_WINDOW_SECONDS": &cfg.WindowSeconds,
		"BREAKER_COOLDOWN_SECONDS": &cfg.CooldownSeconds} {
		n, err := d.Int64Env(name, int64(*v))
		if err != nil {
			return nil, nil, err
		}
		*v = int(n)
	}
	cacheSeconds := int64(transfer.BreakerCacheSeconds)
	if v := d.OptionalEnv("BREAKER_CACHE_SECONDS"); v != "" { // 0 turns the copy off
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, nil, fmt.Errorf("BREAKER_CACHE_SECONDS=%q: want 0 or a positive integer", v)
		}
		cacheSeconds = n
	}
	var breakerStore transfer.BreakerStore = store
	if cacheSeconds > 0 {
		cached := transfer.NewCachedBreakerStore(store)
		cached.TTL = time.Duration(cacheSeconds) * time.Second
		breakerStore = cached
	}
	return store, &transfer.Breaker{Store: breakerStore, Config: cfg, Metrics: d.Metrics()}, nil
}

// TransferSteps builds the saga's steps; fault injection is wired in only when the
// deployment's FaultInjection parameter turned it on.
func (d *Deps) TransferSteps() (*transfer.Steps, error) {
	store, breaker, err := d.transferParts()
	if err != nil {
		return nil, err
	}
	steps := &transfer.Steps{Store: store, Breaker: breaker, Metrics: d.Metrics()}
	if d.OptionalEnv("FAULT_INJECTION") == "true" {
		d.Log.Warn("fault injection is on: saga steps obey the CONTROL/FAULTS item; never in production")
		steps.Faults = store
	}
	return steps, nil
}

// SagaSource builds the runner that starts the transfer saga. Only the functions that
// start sagas (create, capture, void) have one (sfnapp.Saga, over Step Functions); the
// others pass nil.
type SagaSource func(d *Deps) transfer.Runner

// errNoSaga is what a function built without a saga runner answers if it ever tried to
// start one: reads and the hold sweeper never do.
var errNoSaga = errors.New("this function starts no transfer saga (built without a saga runner)")

type noSaga struct{}

func (noSaga) Run(context.Context, transfer.SagaInput) error { return errNoSaga }

// TransferService builds the transfer API service; with a saga source it can start the
// saga, without one it serves reads and the hold sweeper.
func (d *Deps) TransferService(sagaSource SagaSource) (*transfer.Service, error) {
	store, breaker, err := d.transferParts()
	if err != nil {
		return nil, err
	}
	wait, err := d.Int64Env("SAGA_WAIT_SECONDS", transfer.DefaultSagaWaitSeconds)
	if err != nil {
		return nil, err
	}
	var runner transfer.Runner = noSaga{}
	if sagaSource != nil {
		runner = sagaSource(d)
	}
	ts := &transfer.Service{Store: store, Idem: store.Idempotency, Breaker: breaker, Log: d.Log, SagaWaitSeconds: int(wait),
		Saga: runner, Reviews: store, Metrics: d.Metrics()}
	if sagaSource != nil { // it creates transfers: a recipient's lookups, counted
		lookups, err := d.Int64Env("RECIPIENT_LOOKUPS_PER_HOUR", transfer.RecipientLookupsPerHourDefault)
		if err != nil {
			return nil, err
		}
		ts.Recipients = &dynamo.Recipients{Users: &dynamo.Users{DB: store.DB, Table: d.Env("USERS_TABLE")}, Ledger: store}
		ts.Lookups = ratelimit.Quota{Name: "recipient", Rule: ratelimit.Rule{Limit: lookups, Window: time.Hour}, Counter: d.limitsStore()}
	}
	return ts, nil
}

// ServeTransfers starts a transfer route's function; the routes that start the saga pass
// its source (sfnapp.Saga), the reads nil.
func ServeTransfers(saga SagaSource, route func(apigw.Transfers) apigw.HandlerFunc) int {
	return serveRoute(func(_ context.Context, d *Deps) (apigw.Transfers, error) { return d.TransferService(saga) }, route)
}

// ServeStep starts one saga step's function. Each invocation logs one line: the step
// (name, with what its input adds, e.g. "finalize:HELD"), the transfer, how it ended and
// how long it took. step is a method expression such as (*transfer.Steps).Reserve.
func ServeStep[In transfer.StepRequest, Out any](name string, step func(*transfer.Steps, context.Context, In) (Out, error)) int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		steps, err := d.TransferSteps()
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, in In) (Out, error) {
			start := time.Now()
			out, err := step(steps, ctx, in)
			attrs := []any{slog.String("transfer_id", in.Transfer()), slog.String("step", stepLabel(name, in.StepName())),
				slog.Int64("duration_ms", time.Since(start).Milliseconds())}
			if err != nil {
				d.Log.WarnContext(ctx, "step failed", append(attrs, slog.String("error_type", fmt.Sprintf("%T", err)), slog.String("error", err.Error()))...)
			} else {
				d.Log.InfoContext(ctx, "step", append(attrs, slog.String("status", "succeeded"))...)
			}
			return out, err
		}, nil
	})
}

// stepLabel is a step's name, followed by what its input adds when it adds something.
func stepLabel(name, detail string) string {
	if detail == "" {
		return name
	}
	return name + ":" + detail
}

// ServeHoldExpiry starts the scheduled function that releases expired holds (it releases
// them directly, without the saga) and, beside that sweep, stores EXPIRED on the payment
// requests past their expiry (see payrequest.Service.ExpireRequests): one function, one
// schedule, two independent sweeps, each within its own share of the invocation's time.
func ServeHoldExpiry() int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		ts, err := d.TransferService(nil)
		if err != nil {
			return nil, err
		}
		ps, err := d.PaymentRequestService(nil)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			var requestsErr error
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				var n int
				n, requestsErr = ps.ExpireRequests(ctx)
				d.Log.InfoContext(ctx, "expired payment requests", slog.Int("count", n))
			}()
			n, err := ts.ExpireHolds(ctx)
			d.Log.InfoContext(ctx, "expired holds released", slog.Int("count", n))
			// The sweeper runs every minute: it reports the open review cases, the gauge the
			// OpenReviewCasesAlarm watches.
			if open, cerr := ts.OpenReviewCases(ctx); cerr != nil {
				err = errors.Join(err, cerr)
			} else {
				d.Metrics().Put(metrics.OpenReviewCases, float64(open), nil)
			}
			wg.Wait()
			return errors.Join(err, requestsErr)
		}, nil
	})
}
