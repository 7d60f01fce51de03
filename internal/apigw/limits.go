package apigw

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/user"
)

// RequestLimiter counts one request of subject against its class's limit.
type RequestLimiter interface {
	Allow(ctx context.Context, class ratelimit.Class, subject string) (ratelimit.Decision, error)
}

var _ RequestLimiter = (*ratelimit.Limiter)(nil)

// RouteClasses gives every route of the API its rate-limit class; the contract test
// holds it to the routes the template deploys.
var RouteClasses = map[string]ratelimit.Class{
	"GET /v1/health":                        ratelimit.ClassRead,
	"POST /v1/auth/signup":                  ratelimit.ClassSignup,
	"POST /v1/auth/login":                   ratelimit.ClassLogin,
	"POST /v1/auth/verify":                  ratelimit.ClassLogin,
	"POST /v1/auth/verify/resend":           ratelimit.ClassSignup,
	"POST /v1/auth/refresh":                 ratelimit.ClassLogin,
	"POST /v1/auth/logout":                  ratelimit.ClassWrite,
	"GET /v1/auth/sessions":                 ratelimit.ClassRead,
	"DELETE /v1/auth/sessions/{id}":         ratelimit.ClassWrite,
	"POST /v1/auth/password":                ratelimit.ClassWrite,
	"POST /v1/auth/password-reset":          ratelimit.ClassSignup,
	"POST /v1/auth/password-reset/confirm":  ratelimit.ClassSignup,
	"GET /v1/me":                            ratelimit.ClassRead,
	"POST /v1/wallets":                      ratelimit.ClassWrite,
	"GET /v1/wallets":                       ratelimit.ClassRead,
	"GET /v1/wallets/{id}":                  ratelimit.ClassRead,
	"PATCH /v1/wallets/{id}":                ratelimit.ClassWrite,
	"POST /v1/wallets/{id}/credits":         ratelimit.ClassMoney,
	"POST /v1/wallets/{id}/withdrawals":     ratelimit.ClassMoney,
	"GET /v1/wallets/{id}/entries":          ratelimit.ClassRead,
	"GET /v1/admin/ledger/check":            ratelimit.ClassRead,
	"GET /v1/admin/transfers":               ratelimit.ClassRead,
	"POST /v1/admin/transfers/{id}/resolve": ratelimit.ClassMoney,
	"GET /v1/admin/audit":                   ratelimit.ClassRead,
	"GET /v1/admin/users":                   ratelimit.ClassRead,
	"POST /v1/transfers":                    ratelimit.ClassMoney,
	"GET /v1/transfers/{id}":                ratelimit.ClassRead,
	"GET /v1/transfers":                     ratelimit.ClassRead,
	"POST /v1/transfers/{id}/capture":       ratelimit.ClassMoney,
	"POST /v1/transfers/{id}/void":          ratelimit.ClassMoney,
	"POST /v1/transfers/{id}/refunds":       ratelimit.ClassMoney,
	"GET /v1/notifications":                 ratelimit.ClassRead,
	"POST /v1/notifications/{id}/read":      ratelimit.ClassWrite,
	"POST /v1/notifications/read-all":       ratelimit.ClassWrite,
	"GET /v1/rewards":                       ratelimit.ClassRead,
	"POST /v1/rewards/redeem":               ratelimit.ClassMoney,
	// Making a request is counted as money (per user, verified callers only) though it
	// moves none: it reaches another person, so it is held to the tighter budget.
	"POST /v1/payment-requests":              ratelimit.ClassMoney,
	"GET /v1/payment-requests":               ratelimit.ClassRead,
	"GET /v1/payment-requests/{id}":          ratelimit.ClassRead,
	"POST /v1/payment-requests/{id}/pay":     ratelimit.ClassMoney,
	"POST /v1/payment-requests/{id}/decline": ratelimit.ClassWrite,
	"POST /v1/payment-requests/{id}/cancel":  ratelimit.ClassWrite,
}

// mayMoveMoney refuses a money route (ClassMoney) to a signed-in caller whose email is
// not verified: 403 email_not_verified. Requests without a valid caller are left to the
// handlers, which refuse them 401.
func mayMoveMoney(r *Request) error {
	if RouteClasses[r.Route()] != ratelimit.ClassMoney {
		return nil
	}
	if c, err := r.Caller(); err != nil || c.EmailVerified {
		return nil
	}
	return user.ErrEmailNotVerified
}

// perIP lists the classes counted per source IP: their callers are not logged in.
var perIP = map[ratelimit.Class]bool{ratelimit.ClassSignup: true, ratelimit.ClassLogin: true}

// admit counts the request. It answers the decision to report in the response headers
// (nil when the limiter could not be asked) and the refusal, if any. A limiter that
// fails lets the request through: the limits protect capacity, while every money rule
// holds without them.
func admit(ctx context.Context, lg *slog.Logger, limiter RequestLimiter, m *metrics.Emitter, r *Request) (*ratelimit.Decision, error) {
	if limiter == nil {
		return nil, nil
	}
	class, ok := RouteClasses[r.Route()]
	if !ok {
		return nil, fmt.Errorf("route %q has no rate-limit class", r.Route())
	}
	subject := "ip:" + r.RequestContext.Identity.SourceIP
	if id := r.callerID(); id != "" && !perIP[class] {
		subject = "user:" + id
	}
	d, err := limiter.Allow(ctx, class, subject)
	if err != nil {
		lg.WarnContext(ctx, "rate limiter unavailable; request let through", slog.String("error", err.Error()))
		return nil, nil
	}
	if !d.Allowed {
		lg.InfoContext(ctx, "rate limited", slog.String("class", string(class)))
		m.Put(metrics.RateLimited, 1, []metrics.Dim{metrics.D("Class", string(class))})
		return &d, d.Err()
	}
	return &d, nil
}
