package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/dynamo"
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
	return store, &transfer.Breaker{Store: store, Config: cfg}, nil
}

// TransferSteps builds the saga's steps; fault injection is wired in only when the
// deployment's FaultInjection parameter turned it on.
func (d *Deps) TransferSteps() (*transfer.Steps, error) {
	store, breaker, err := d.transferParts()
	if err != nil {
		return nil, err
	}
	steps := &transfer.Steps{Store: store, Breaker: breaker}
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
	return &transfer.Service{Store: store, Idem: store.Idempotency, Breaker: breaker, Log: d.Log, SagaWaitSeconds: int(wait),
		Saga: runner}, nil
}

// ServeTransfers starts a transfer route's function; the routes that start the saga pass
// its source (sfnapp.Saga), the reads nil.
func ServeTransfers(saga SagaSource, route func(apigw.Transfers) apigw.HandlerFunc) int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		ts, err := d.TransferService(saga)
		if err != nil {
			return nil, err
		}
		return d.Serve(route(ts))
	})
}

// ServeStep starts one saga step's function.
// step is a method expression such as (*transfer.Steps).Reserve.
func ServeStep[In, Out any](step func(*transfer.Steps, context.Context, In) (Out, error)) int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		steps, err := d.TransferSteps()
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, in In) (Out, error) { return step(steps, ctx, in) }, nil
	})
}

// ServeHoldExpiry starts the scheduled function that releases expired holds (it releases
// them directly, without the saga).
func ServeHoldExpiry() int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		ts, err := d.TransferService(nil)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			n, err := ts.ExpireHolds(ctx)
			d.Log.InfoContext(ctx, "expired holds released", slog.Int("count", n))
			return err
		}, nil
	})
}
