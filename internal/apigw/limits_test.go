package apigw

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/ratelimit/ratelimittest"
)

// recordingLimiter remembers the subjects it was asked about and limits with a real
// Limiter over an in-memory counter.
type recordingLimiter struct {
	*ratelimit.Limiter
	asked []string
}

func (r *recordingLimiter) Allow(ctx context.Context, c ratelimit.Class, subject string) (ratelimit.Decision, error) {
	r.asked = append(r.asked, string(c)+" "+subject)
	return r.Limiter.Allow(ctx, c, subject)
}

func newRecordingLimiter(t *testing.T, counter ratelimit.Counter) *recordingLimiter {
	t.Helper()
	rules, err := ratelimit.ParseRules("money=2/60s,write=2/60s,read=2/60s,signup=2/60s,login=2/60s")
	require.NoError(t, err)
	at := time.Unix(1_800_000_030, 0) // 30 s before the window ends
	l, err := ratelimit.NewLimiter(rules, counter, func() time.Time { return at })
	require.NoError(t, err)
	return &recordingLimiter{Limiter: l}
}

// routed is a REST API event for route ("METHOD /resource/{param}") from a fixed
// source IP, authorized as userID when it is not empty.
func routed(route, userID string) events.APIGatewayProxyRequest {
	method, resource, _ := strings.Cut(route, " ")
	ev := events.APIGatewayProxyRequest{HTTPMethod: method, Resource: resource, Path: resource}
	ev.RequestContext.HTTPMethod = method
	ev.RequestContext.ResourcePath = resource
	ev.RequestContext.Identity.SourceIP = "203.0.113.9"
	if userID != "" {
		ev.RequestContext.Authorizer = map[string]any{"principalId": userID, ctxUserID: userID, ctxRole: "user", ctxVerified: "true"}
	}
	return ev
}

func TestHandleRateLimits(t *testing.T) {
	ran := 0
	ok := func(context.Context, *Request) (Response, error) {
		ran++
		return JSON(http.StatusOK, map[string]string{})
	}
	limiter := newRecordingLimiter(t, &ratelimittest.Counter{})
	h := Handle(Discard, limiter, nil, ok)
	ctx := context.Background()

	for i, want := range []string{"1", "0"} {
		out, err := h(ctx, routed("POST /v1/transfers", "u1"))
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, out.StatusCode, "request %d", i+1)
		assert.Equal(t, "2", out.Headers["RateLimit-Limit"])
		assert.Equal(t, want, out.Headers["RateLimit-Remaining"])
		assert.Equal(t, "30", out.Headers["RateLimit-Reset"])
		assert.Empty(t, out.Headers["Retry-After"])
	}
	out, err := h(ctx, routed("POST /v1/transfers", "u1"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusTooManyRequests, out.StatusCode)
	assert.JSONEq(t, `{"error":{"code":"rate_limited","message":"too many requests; retry after the number of seconds in Retry-After"}}`, out.Body)
	assert.Equal(t, "30", out.Headers["Retry-After"])
	assert.Equal(t, "0", out.Headers["RateLimit-Remaining"])
	assert.Equal(t, 2, ran, "a refused request does not reach the handler")

	_, err = h(ctx, routed("POST /v1/auth/login", "u1"))
	require.NoError(t, err)
	_, err = h(ctx, routed("GET /v1/health", ""))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"money user:u1", "money user:u1", "money user:u1",
		"login ip:203.0.113.9", // signup and login count per source IP
		"read ip:203.0.113.9",  // an anonymous request counts per source IP
	}, limiter.asked)
}

func TestHandleLetsRequestsThroughWhenTheLimiterFails(t *testing.T) {
	limiter := newRecordingLimiter(t, &ratelimittest.Counter{Err: errors.New("throttled")})
	h := Handle(Discard, limiter, nil, func(context.Context, *Request) (Response, error) { return JSON(http.StatusOK, nil) })
	out, err := h(context.Background(), routed("GET /v1/me", "u1"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, out.StatusCode)
	assert.Empty(t, out.Headers["RateLimit-Limit"], "no decision, no headers")
}

func TestHandleRefusesARouteWithoutAClass(t *testing.T) {
	limiter := newRecordingLimiter(t, &ratelimittest.Counter{})
	h := Handle(Discard, limiter, nil, func(context.Context, *Request) (Response, error) { return JSON(http.StatusOK, nil) })
	out, err := h(context.Background(), routed("GET /v1/unknown", "u1"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, out.StatusCode)
}

// TestMoneyNeedsAVerifiedEmail: every money route refuses a caller whose token says the
// email is not verified (403 email_not_verified) before its handler runs; other routes
// and verified callers go through.
func TestMoneyNeedsAVerifiedEmail(t *testing.T) {
	for route, class := range RouteClasses {
		t.Run(route, func(t *testing.T) {
			ran := false
			h := Handle(slog.New(slog.DiscardHandler), nil, nil, func(context.Context, *Request) (Response, error) {
				ran = true
				return JSON(http.StatusOK, map[string]string{})
			})
			for _, verified := range []string{"false", ""} {
				ev := routed(route, "u-1")
				if verified == "" {
					delete(ev.RequestContext.Authorizer, ctxVerified)
				} else {
					ev.RequestContext.Authorizer[ctxVerified] = verified
				}
				ran = false
				resp, err := h(context.Background(), ev)
				require.NoError(t, err)
				if class == ratelimit.ClassMoney {
					assert.Equal(t, http.StatusForbidden, resp.StatusCode)
					assert.Contains(t, resp.Body, `"email_not_verified"`)
					assert.False(t, ran, "the handler did not run")
				} else {
					assert.True(t, ran, "not a money route")
				}
			}
			ran = false
			_, err := h(context.Background(), routed(route, "u-1"))
			require.NoError(t, err)
			assert.True(t, ran, "a verified caller goes through")
		})
	}
}
