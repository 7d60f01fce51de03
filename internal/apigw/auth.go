package apigw

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// Keys of the authorizer context that reach the route handlers.
const (
	ctxUserID    = "user_id"
	ctxRole      = "role"
	ctxAuthError = "auth_error"
)

// Caller is the authenticated user a request acts for.
type Caller struct {
	UserID string
	Role   string
}

// IsAdmin reports whether the caller has the admin role.
func (c Caller) IsAdmin() bool { return c.Role == auth.RoleAdmin }

// Verifier checks an access token.
type Verifier interface {
	Verify(ctx context.Context, raw string) (*auth.Claims, error)
}

// Authorizer is the HTTP API Lambda REQUEST authorizer (payload 2.0, simple responses).
//
// An HTTP API can only answer a Lambda authorizer's refusal with 403 and a fixed body,
// while the API contract says a missing or bad token is 401 with the API's error shape.
// So the authorizer lets the request through carrying its verdict: the verified user id
// and role, or an auth_error. Caller() turns a missing user id into the 401; every
// protected handler needs the caller, so none can skip that check.
func Authorizer(log *slog.Logger, v Verifier) func(context.Context, events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
		verdict := map[string]any{}
		raw, ok := bearer(headerOf(ev.Headers, "authorization"))
		if !ok {
			verdict[ctxAuthError] = "token_missing"
		} else if claims, err := v.Verify(ctx, raw); err != nil {
			reason := auth.ErrTokenInvalid.Error()
			if errors.Is(err, auth.ErrTokenExpired) {
				reason = auth.ErrTokenExpired.Error()
			}
			verdict[ctxAuthError] = reason
			log.InfoContext(ctx, "token refused", slog.String("route", ev.RouteKey), slog.String("reason", err.Error()))
		} else {
			verdict[ctxUserID] = claims.Subject
			verdict[ctxRole] = claims.Role
		}
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: verdict}, nil
	}
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// headerOf looks a header up by name, case-insensitively (HTTP APIs lower-case them).
func headerOf(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func (r *Request) authContext() map[string]any {
	if r.RequestContext.Authorizer == nil {
		return nil
	}
	return r.RequestContext.Authorizer.Lambda
}

func (r *Request) callerID() string {
	id, _ := r.authContext()[ctxUserID].(string)
	return id
}

// Caller returns the authenticated caller, or a 401 problem.
func (r *Request) Caller() (Caller, error) {
	ac := r.authContext()
	id, _ := ac[ctxUserID].(string)
	role, _ := ac[ctxRole].(string)
	if id == "" || (role != auth.RoleUser && role != auth.RoleAdmin) {
		if reason, _ := ac[ctxAuthError].(string); reason == auth.ErrTokenExpired.Error() {
			return Caller{}, problem.New(problem.KindUnauthenticated, "token_expired", "the access token has expired; log in again")
		}
		return Caller{}, problem.ErrUnauthenticated
	}
	return Caller{UserID: id, Role: role}, nil
}
