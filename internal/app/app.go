// Package app is the composition root shared by the functions' mains: it reads the
// environment once, builds AWS clients once per cold start, and starts the handler.
//
// It links one AWS service client, DynamoDB, which every function but publishevents
// uses. The other clients are built in small packages of their own (secretsapp: Secrets
// Manager, sfnapp: Step Functions, snsapp: SNS) that only the mains needing them import
// and pass in (a TokenSource, SagaSource or TopicSource), so the linker leaves them out
// of every other bootstrap (docs/PERFORMANCE.md, "Bootstrap sizes and what each links").
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/callrecord"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/user"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Deps is what a cold start has built.
type Deps struct {
	Log     *slog.Logger
	AWS     aws.Config
	missing []string
	ddb     dynamo.API
	metrics *metrics.Emitter
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

// EnvErr reports the required environment variables found missing so far.
func (d *Deps) EnvErr() error {
	if len(d.missing) > 0 {
		return fmt.Errorf("missing environment: %s", strings.Join(d.missing, ", "))
	}
	return nil
}

// Start builds the handler once and hands it to the Lambda runtime, which serves it for
// the life of the process. It returns only when the cold start cannot build its handler:
// it logs why and returns the status for the main to exit with (like testing.M.Run, for
// `os.Exit(app.Serve…(…))`), so Lambda reports an init error. The Serve… functions
// return what it returns.
func Start(build func(ctx context.Context, d *Deps) (any, error)) (exitCode int) {
	ctx := context.Background()
	d := &Deps{Log: lambdacontext.NewLogger()}
	cfg, err := lambdaConfig(os.Getenv)
	if err == nil {
		err = d.recordCalls(&cfg)
	}
	if err == nil {
		d.AWS = cfg
		var h any
		h, err = build(ctx, d)
		if err == nil {
			err = d.EnvErr()
		}
		if err == nil {
			if d.Metered() {
				lambda.StartWithOptions(timed{next: lambda.NewHandler(h), log: d.Log})
			} else {
				lambda.Start(h)
			}
			return 0
		}
	}
	d.Log.Error("cold start failed", slog.String("error", err.Error()))
	return 1
}

// Metered reports whether the deployment measures cost (MeterDynamoDB=true, refused in
// prod): each DynamoDB call logs its capacity, each SNS publish its billed requests and
// each invocation its handler's time.
func (d *Deps) Metered() bool { return d.OptionalEnv("METER_DYNAMODB") == "true" }

// timed logs, once per invocation, how long the function's own handler ran: what make
// cost prices Lambda duration from, apart from the runtime's and the local engine's
// overheads (the REPORT line's billed duration, shown next to it).
type timed struct {
	next lambda.Handler
	log  *slog.Logger
}

func (t timed) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	out, err := t.next.Invoke(ctx, payload)
	t.log.InfoContext(ctx, "handled", slog.Int64(handlerMicrosKey, time.Since(start).Microseconds()))
	return out, err
}

// handlerMicrosKey names the handler's time, in microseconds, on a metered
// deployment's "handled" line.
const handlerMicrosKey = "handler_us"

// recordCalls puts the call recorder (internal/callrecord) on every client the cold
// start builds, when the deployment turned it on (AwsCallRecordDir, never in prod).
// Off, the SDK's middleware stack is left as it is.
func (d *Deps) recordCalls(cfg *aws.Config) error {
	dir := d.OptionalEnv(callrecord.DirEnv)
	if dir == "" {
		return nil
	}
	rec, err := callrecord.Open(dir, d.OptionalEnv("AWS_LAMBDA_FUNCTION_NAME"))
	if err != nil {
		return err
	}
	d.Log.Warn("AWS call recording is on: every AWS call is appended to a file for the IAM check; never in production", slog.String("dir", dir))
	cfg.APIOptions = append(cfg.APIOptions, rec.AddTo)
	return nil
}

// DynamoDB returns the cold start's one DynamoDB client, metered when the deployment
// measures cost.
func (d *Deps) DynamoDB() dynamo.API {
	if d.ddb == nil {
		c := dynamodb.NewFromConfig(d.AWS)
		d.ddb = c
		if d.Metered() {
			d.ddb = &dynamo.Metered{API: c, Log: d.Log}
		}
	}
	return d.ddb
}

// Metrics returns the cold start's metrics emitter (CloudWatch embedded metric format on
// stdout, in the METRICS_NAMESPACE namespace; nil, which emits nothing, when unset).
func (d *Deps) Metrics() *metrics.Emitter {
	if d.metrics == nil {
		d.metrics = metrics.New(d.OptionalEnv("METRICS_NAMESPACE"))
	}
	return d.metrics
}

// TokenSource builds the token issuer/verifier. Only the functions that sign or check
// tokens have one (secretsapp.Tokens, over Secrets Manager); the others pass nil.
type TokenSource func(ctx context.Context, d *Deps) (*auth.Tokens, error)

// MailSource builds the mailer of a function that sends email (sesapp.Mail, over SES).
type MailSource func(d *Deps) (user.Mailer, error)

// UserService builds the user service; with a token source it also loads the signing key
// and the login lock-out, and with a mail source it sends email.
func (d *Deps) UserService(ctx context.Context, tokenSource TokenSource, mailSource MailSource) (*user.Service, error) {
	store := &dynamo.Users{DB: d.DynamoDB(), Table: d.Env("USERS_TABLE")}
	var tokens user.TokenIssuer
	var guard user.LoginGuard
	if tokenSource != nil {
		t, err := tokenSource(ctx, d)
		if err != nil {
			return nil, err
		}
		tokens = t
		if guard, err = d.LoginLockout(); err != nil {
			return nil, err
		}
	}
	s, err := user.NewService(store, tokens, guard, nil)
	if err != nil {
		return nil, err
	}
	s.UseSessions(store)
	s.UsePasswords(store)
	var mailer user.Mailer
	switch {
	case mailSource != nil:
		if mailer, err = mailSource(d); err != nil {
			return nil, err
		}
	case d.OptionalEnv("MAIL_FROM") != "":
		// The template gives MAIL_FROM to the functions that send mail: one whose main
		// has no mail source would fail to send, so its cold start fails instead.
		return nil, errors.New("MAIL_FROM is set, but this function's main builds no mailer (app.ServeMailingUsers)")
	}
	s.UseMail(mailer, store)
	return s, nil
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
		n, err := d.Int64Env(s.name, s.fallback)
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
// (RATE_LIMITS, see ratelimit.ParseRules) and its CORS origins (CORS_ALLOWED_ORIGINS,
// see apigw.ParseCORS; empty: no CORS headers).
func (d *Deps) Serve(fn apigw.HandlerFunc) (apigw.LambdaHandler, error) {
	spec := d.Env("RATE_LIMITS")
	if err := d.EnvErr(); err != nil {
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
	cors, err := apigw.ParseCORS(d.OptionalEnv("CORS_ALLOWED_ORIGINS"))
	if err != nil {
		return nil, err
	}
	return cors.Wrap(apigw.Handle(d.Log, limiter, d.Metrics(), fn)), nil
}

// WalletService builds the wallet service over the ledger and idempotency tables.
func (d *Deps) WalletService() (*wallet.Service, error) {
	store := d.ledgerStore()
	limits := ledger.CreditLimits{PerCreditMaxMinor: ledger.DefaultCreditMaxMinor, DailyMaxMinor: ledger.DefaultCreditDailyMaxMinor}
	var err error
	if limits.PerCreditMaxMinor, err = d.Int64Env("CREDIT_MAX_MINOR", limits.PerCreditMaxMinor); err != nil {
		return nil, err
	}
	if limits.DailyMaxMinor, err = d.Int64Env("CREDIT_DAILY_MAX_MINOR", limits.DailyMaxMinor); err != nil {
		return nil, err
	}
	out := ledger.WithdrawalLimits{PerWithdrawalMaxMinor: ledger.DefaultWithdrawalMaxMinor, DailyMaxMinor: ledger.DefaultWithdrawalDailyMaxMinor}
	if out.PerWithdrawalMaxMinor, err = d.Int64Env("WITHDRAWAL_MAX_MINOR", out.PerWithdrawalMaxMinor); err != nil {
		return nil, err
	}
	if out.DailyMaxMinor, err = d.Int64Env("WITHDRAWAL_DAILY_MAX_MINOR", out.DailyMaxMinor); err != nil {
		return nil, err
	}
	return wallet.NewService(store, store.Idempotency, limits, nil).WithWithdrawalLimits(out), nil
}

// Int64Env returns a positive integer setting, or fallback when it is not set.
func (d *Deps) Int64Env(name string, fallback int64) (int64, error) {
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

// serveRoute starts an API route's function: the service that build makes, answered
// by route (behind Serve's rate limits, logging and error mapping).
func serveRoute[S any](build func(context.Context, *Deps) (S, error), route func(S) apigw.HandlerFunc) int {
	return Start(func(ctx context.Context, d *Deps) (any, error) {
		svc, err := build(ctx, d)
		if err != nil {
			return nil, err
		}
		return d.Serve(route(svc))
	})
}

// ServeWallets starts a wallet route's function.
func ServeWallets(route func(apigw.Wallets) apigw.HandlerFunc) int {
	return serveRoute(func(_ context.Context, d *Deps) (apigw.Wallets, error) { return d.WalletService() }, route)
}

// ServeUsers starts a user route's function; a route that issues tokens passes its
// token source (secretsapp.Tokens), the others nil.
func ServeUsers(tokens TokenSource, route func(apigw.Users) apigw.HandlerFunc) int {
	return serveRoute(func(ctx context.Context, d *Deps) (apigw.Users, error) { return d.UserService(ctx, tokens, nil) }, route)
}

// ServeMailingUsers starts a user route's function that sends email (sign-up, a code's
// resend, a password reset), with the mailer mail builds.
func ServeMailingUsers(mail MailSource, route func(apigw.Users) apigw.HandlerFunc) int {
	return serveRoute(func(ctx context.Context, d *Deps) (apigw.Users, error) { return d.UserService(ctx, nil, mail) }, route)
}

// ServeSessions starts a session route's function (refresh passes its token source).
func ServeSessions(tokens TokenSource, route func(apigw.SessionUsers) apigw.HandlerFunc) int {
	return serveRoute(func(ctx context.Context, d *Deps) (apigw.SessionUsers, error) { return d.UserService(ctx, tokens, nil) }, route)
}

// ServePasswords starts a password route's function; the reset, which emails its code,
// passes a mail source.
func ServePasswords(mail MailSource, route func(apigw.PasswordUsers) apigw.HandlerFunc) int {
	return serveRoute(func(ctx context.Context, d *Deps) (apigw.PasswordUsers, error) { return d.UserService(ctx, nil, mail) }, route)
}

func (d *Deps) ledgerStore() *dynamo.Ledger {
	db := d.DynamoDB()
	l := &dynamo.Ledger{DB: db, Table: d.Env("LEDGER_TABLE"), Idempotency: &dynamo.Idempotency{DB: db, Table: d.Env("IDEMPOTENCY_TABLE")}}
	if table := d.OptionalEnv("AUDIT_TABLE"); table != "" { // the functions that take admin actions
		l.Audit = &dynamo.Audit{DB: db, Table: table}
	}
	return l
}

// ServeAuthorizer starts the API's TOKEN authorizer over the token source
// (secretsapp.Tokens).
func ServeAuthorizer(tokens TokenSource) int {
	return Start(func(ctx context.Context, d *Deps) (any, error) {
		t, err := tokens(ctx, d)
		if err != nil {
			return nil, err
		}
		return apigw.Authorizer(d.Log, t, &dynamo.Users{DB: d.DynamoDB(), Table: d.Env("USERS_TABLE")}), nil
	})
}
