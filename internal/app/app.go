// Package app is the composition root shared by the functions' mains: it reads the
// environment once, builds AWS clients once per cold start, and starts the handler.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/reward"
	"github.com/serverless-wallet/wallet/internal/saga"
	"github.com/serverless-wallet/wallet/internal/secrets"
	"github.com/serverless-wallet/wallet/internal/snsbus"
	"github.com/serverless-wallet/wallet/internal/transfer"
	"github.com/serverless-wallet/wallet/internal/user"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Deps is what a cold start has built.
type Deps struct {
	Log     *slog.Logger
	AWS     aws.Config
	missing []string
	ddb     dynamo.API
}

// Env returns a required environment variable, remembering it when it is missing.
func (d *Deps) Env(name string) string {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		d.missing = append(d.missing, name)
	}
	return v
}

// OptionalEnv returns an environment variable that may be empty.
func (d *Deps) OptionalEnv(name string) string { return strings.TrimSpace(os.Getenv(name)) }

func (d *Deps) envErr() error {
	if len(d.missing) > 0 {
		return fmt.Errorf("missing environment: %s", strings.Join(d.missing, ", "))
	}
	return nil
}

// Start builds the handler once and hands it to the Lambda runtime. A cold start that
// cannot build its handler logs why and exits, so Lambda reports an init error.
func Start(build func(ctx context.Context, d *Deps) (any, error)) {
	ctx := context.Background()
	d := &Deps{Log: lambdacontext.NewLogger()}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil {
		d.AWS = cfg
		var h any
		h, err = build(ctx, d)
		if err == nil {
			err = d.envErr()
		}
		if err == nil {
			lambda.Start(h)
			return
		}
	}
	d.Log.Error("cold start failed", slog.String("error", err.Error()))
	os.Exit(1)
}

// DynamoDB returns the cold start's one DynamoDB client, metered when the deployment
// measures cost.
func (d *Deps) DynamoDB() dynamo.API {
	if d.ddb == nil {
		c := dynamodb.NewFromConfig(d.AWS)
		d.ddb = c
		if d.OptionalEnv("METER_DYNAMODB") == "true" {
			d.ddb = &dynamo.Metered{API: c, Log: d.Log}
		}
	}
	return d.ddb
}

// UserService builds the user service; withTokens also loads the signing key.
func (d *Deps) UserService(ctx context.Context, withTokens bool) (*user.Service, error) {
	store := &dynamo.Users{DB: d.DynamoDB(), Table: d.Env("USERS_TABLE")}
	var tokens user.TokenIssuer
	var guard user.LoginGuard
	if withTokens {
		t, err := d.Tokens(ctx)
		if err != nil {
			return nil, err
		}
		tokens = t
		if guard, err = d.LoginLockout(); err != nil {
			return nil, err
		}
	}
	return user.NewService(store, tokens, guard, d.OptionalEnv("ADMIN_EMAILS"), nil)
}

func (d *Deps) limitsStore() *dynamo.Limits {
	return &dynamo.Limits{DB: d.DynamoDB(), Table: d.Env("LIMITS_TABLE")}
}

// LoginLockout builds the per-account login lock-out from the LOGIN_* settings.
func (d *Deps) LoginLockout() (*ratelimit.Lockout, error) {
	var p ratelimit.LockoutPolicy
	settings := []struct {
		name     string
		fallback int64
		set      func(int64)
	}{
		{"LOGIN_FAILURES_MAX", 5, func(n int64) { p.FailuresMax = n }},
		{"LOGIN_FAILURE_WINDOW_SECONDS", 900, func(n int64) { p.Window = time.Duration(n) * time.Second }},
		{"LOGIN_LOCK_SECONDS", 30, func(n int64) { p.LockBase = time.Duration(n) * time.Second }},
		{"LOGIN_LOCK_MAX_SECONDS", 3600, func(n int64) { p.LockMax = time.Duration(n) * time.Second }},
	}
	for _, s := range settings {
		n, err := d.int64Env(s.name, s.fallback)
		if err != nil {
			return nil, err
		}
		s.set(n)
	}
	l, err := ratelimit.NewLockout(p, d.limitsStore(), nil)
	if err != nil {
		return nil, err
	}
	l.Log = d.Log
	return l, nil
}

// Serve wraps a route's handler with the deployment's per-caller rate limits
// (RATE_LIMITS, see ratelimit.ParseRules).
func (d *Deps) Serve(fn apigw.HandlerFunc) (apigw.LambdaHandler, error) {
	spec := d.Env("RATE_LIMITS")
	if err := d.envErr(); err != nil {
		return nil, err
	}
	rules, err := ratelimit.ParseRules(spec)
	if err != nil {
		return nil, err
	}
	limiter, err := ratelimit.NewLimiter(rules, d.limitsStore(), nil)
	if err != nil {
		return nil, err
	}
	return apigw.Handle(d.Log, limiter, fn), nil
}

// Tokens builds the token issuer/verifier over the signing keys in Secrets Manager,
// re-read every SIGNING_KEY_REFRESH_SECONDS so a rotation needs no redeploy.
func (d *Deps) Tokens(ctx context.Context) (*auth.Tokens, error) {
	secretID, issuer, audience := d.Env("SIGNING_KEY_SECRET_ARN"), d.Env("TOKEN_ISSUER"), d.Env("TOKEN_AUDIENCE")
	if err := d.envErr(); err != nil {
		return nil, err
	}
	refresh, err := d.int64Env("SIGNING_KEY_REFRESH_SECONDS", defaultKeyRefreshSeconds)
	if err != nil {
		return nil, err
	}
	keys := secrets.SigningKeys{API: secretsmanager.NewFromConfig(d.AWS), SecretID: secretID}
	return auth.NewTokens(ctx, keys, time.Duration(refresh)*time.Second, issuer, audience, nil)
}

// defaultKeyRefreshSeconds is how often a warm function re-reads the signing keys when
// the deployment does not say.
const defaultKeyRefreshSeconds = 300

// WalletService builds the wallet service over the ledger and idempotency tables.
func (d *Deps) WalletService() (*wallet.Service, error) {
	store := d.ledgerStore()
	limits := ledger.CreditLimits{PerCreditMaxMinor: ledger.DefaultCreditMaxMinor, DailyMaxMinor: ledger.DefaultCreditDailyMaxMinor}
	var err error
	if limits.PerCreditMaxMinor, err = d.int64Env("CREDIT_MAX_MINOR", limits.PerCreditMaxMinor); err != nil {
		return nil, err
	}
	if limits.DailyMaxMinor, err = d.int64Env("CREDIT_DAILY_MAX_MINOR", limits.DailyMaxMinor); err != nil {
		return nil, err
	}
	return wallet.NewService(store, store.Idempotency, limits, nil), nil
}

func (d *Deps) int64Env(name string, fallback int64) (int64, error) {
	v := d.OptionalEnv(name)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", name, v)
	}
	return n, nil
}

// ServeWallets starts a wallet route's function.
func ServeWallets(route func(apigw.Wallets) apigw.HandlerFunc) {
	Start(func(_ context.Context, d *Deps) (any, error) {
		ws, err := d.WalletService()
		if err != nil {
			return nil, err
		}
		return d.Serve(route(ws))
	})
}

// ServeUsers starts a user route's function; withTokens loads the signing key.
func ServeUsers(withTokens bool, route func(apigw.Users) apigw.HandlerFunc) {
	Start(func(ctx context.Context, d *Deps) (any, error) {
		users, err := d.UserService(ctx, withTokens)
		if err != nil {
			return nil, err
		}
		return d.Serve(route(users))
	})
}

// transferParts builds the transfer steps' and service's shared parts.
func (d *Deps) transferParts() (*dynamo.Ledger, *transfer.Breaker, error) {
	store := d.ledgerStore()
	cfg := transfer.BreakerConfig{FailuresMax: transfer.DefaultBreakerFailuresMax, WindowSeconds: transfer.DefaultBreakerWindowSeconds,
		CooldownSeconds: transfer.DefaultBreakerCooldownSeconds}
	for name, v := range map[string]*int{"BREAKER_FAILURES_MAX": &cfg.FailuresMax, "BREAKER_WINDOW_SECONDS": &cfg.WindowSeconds,
		"BREAKER_COOLDOWN_SECONDS": &cfg.CooldownSeconds} {
		n, err := d.int64Env(name, int64(*v))
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

// TransferService builds the transfer API service.
func (d *Deps) TransferService() (*transfer.Service, error) {
	store, breaker, err := d.transferParts()
	if err != nil {
		return nil, err
	}
	wait, err := d.int64Env("SAGA_WAIT_SECONDS", transfer.DefaultSagaWaitSeconds)
	if err != nil {
		return nil, err
	}
	sfnClient := sfn.NewFromConfig(d.AWS, func(o *sfn.Options) {
		if os.Getenv("AWS_ENDPOINT_URL") != "" {
			// StartSyncExecution is served on the sync-<endpoint> host on AWS; an emulator
			// behind a custom endpoint (127.0.0.1) has no such host name.
			o.APIOptions = append(o.APIOptions, withoutHostPrefix)
		}
	})
	return &transfer.Service{Store: store, Idem: store.Idempotency, Breaker: breaker, Log: d.Log, SagaWaitSeconds: int(wait),
		Saga: &saga.Runner{SFN: sfnClient, StateMachineArn: d.Env("TRANSFER_STATE_MACHINE_ARN")}}, nil
}

func withoutHostPrefix(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("WithoutHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// ServeTransfers starts a transfer route's function.
func ServeTransfers(route func(apigw.Transfers) apigw.HandlerFunc) {
	Start(func(_ context.Context, d *Deps) (any, error) {
		ts, err := d.TransferService()
		if err != nil {
			return nil, err
		}
		return d.Serve(route(ts))
	})
}

// ServeStep starts one saga step's function.
// step is a method expression such as (*transfer.Steps).Reserve.
func ServeStep[In, Out any](step func(*transfer.Steps, context.Context, In) (Out, error)) {
	Start(func(_ context.Context, d *Deps) (any, error) {
		steps, err := d.TransferSteps()
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, in In) (Out, error) { return step(steps, ctx, in) }, nil
	})
}

// ServeHoldExpiry starts the scheduled function that releases expired holds.
func ServeHoldExpiry() {
	Start(func(_ context.Context, d *Deps) (any, error) {
		ts, err := d.TransferService()
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

func (d *Deps) ledgerStore() *dynamo.Ledger {
	db := d.DynamoDB()
	return &dynamo.Ledger{DB: db, Table: d.Env("LEDGER_TABLE"), Idempotency: &dynamo.Idempotency{DB: db, Table: d.Env("IDEMPOTENCY_TABLE")}}
}

// NotificationService builds the notification service; only the consumer pushes.
func (d *Deps) NotificationService(withPush bool) *notification.Service {
	s := &notification.Service{Store: &dynamo.Notifications{DB: d.DynamoDB(), Table: d.Env("NOTIFICATIONS_TABLE")}}
	if withPush {
		s.Push = &snsbus.Bus{SNS: sns.NewFromConfig(d.AWS), TopicArn: d.Env("USER_NOTIFICATIONS_TOPIC_ARN")}
	}
	return s
}

// RewardService builds the reward service.
func (d *Deps) RewardService() (*reward.Service, error) {
	ledgerStore := d.ledgerStore()
	capPoints, err := d.int64Env("REWARD_POINTS_PER_TRANSFER_MAX", reward.DefaultPointsPerTransferMax)
	if err != nil {
		return nil, err
	}
	dayPoints, err := d.int64Env("REWARD_POINTS_PER_DAY_MAX", reward.DefaultPointsPerDayMax)
	if err != nil {
		return nil, err
	}
	return &reward.Service{Store: &dynamo.Rewards{DB: ledgerStore.DB, Table: d.Env("REWARDS_TABLE"), Ledger: ledgerStore},
		Idem: ledgerStore.Idempotency, PointsPerTransferMax: capPoints, PointsPerDayMax: dayPoints}, nil
}

// ServeNotifications starts a notification route's function.
func ServeNotifications(route func(apigw.Notifications) apigw.HandlerFunc) {
	Start(func(_ context.Context, d *Deps) (any, error) {
		return d.Serve(route(d.NotificationService(false)))
	})
}

// ServeRewards starts a reward route's function.
func ServeRewards(route func(apigw.Rewards) apigw.HandlerFunc) {
	Start(func(_ context.Context, d *Deps) (any, error) {
		rs, err := d.RewardService()
		if err != nil {
			return nil, err
		}
		return d.Serve(route(rs))
	})
}

// ServeEventPublisher starts the ledger-stream function that publishes wallet events.
func ServeEventPublisher() {
	Start(func(_ context.Context, d *Deps) (any, error) {
		bus := &snsbus.Bus{SNS: sns.NewFromConfig(d.AWS), TopicArn: d.Env("WALLET_EVENTS_TOPIC_ARN")}
		return event.PublishFromStream(d.Log, dynamo.EventsOf, bus), nil
	})
}

// ServeNotificationConsumer starts the notifications queue's consumer.
func ServeNotificationConsumer() {
	Start(func(_ context.Context, d *Deps) (any, error) {
		return event.ConsumeSQS(d.Log, d.NotificationService(true).Handle), nil
	})
}

// ServeRewardConsumer starts the rewards queue's consumer.
func ServeRewardConsumer() {
	Start(func(_ context.Context, d *Deps) (any, error) {
		rs, err := d.RewardService()
		if err != nil {
			return nil, err
		}
		return event.ConsumeSQS(d.Log, rs.Handle), nil
	})
}
