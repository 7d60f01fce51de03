package apigw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

// Keys of the authorizer context that reach the route handlers.
const (
	ctxUserID   = "user_id"
	ctxRole     = "role"
	ctxVerified = "email_verified" // "true" when the token says the email was verified
	ctxSession  = "session_id"
)

// errUnauthorized is how a REST API Lambda authorizer refuses a token: API Gateway
// answers 401 (its UNAUTHORIZED gateway response, which carries the API's error body)
// and calls no function. The message must be exactly "Unauthorized".
var errUnauthorized = errors.New("Unauthorized")

// Verifier checks an access token.
type Verifier interface {
	Verify(ctx context.Context, raw string) (*auth.Claims, error)
}

// SessionReader reads the session a token belongs to.
type SessionReader interface {
	Session(ctx context.Context, id string) (user.SessionRecord, error)
}

// Authorizer is the REST API's Lambda TOKEN authorizer. Its identity source is the
// Authorization header, so API Gateway refuses a request without one before calling
// anything, and caches each answer per token for the authorizer's TTL.
//
// A missing, malformed, forged or expired token is refused with errUnauthorized. A valid
// one is allowed on every method of the stage, not only the one called: the cached
// policy answers the token's later requests to other routes too. What a caller may do
// with a given resource is decided by the handlers, from the user id and role passed on
// in the context.
func Authorizer(log *slog.Logger, v Verifier, sessions SessionReader) func(context.Context, events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		raw, ok := bearer(ev.AuthorizationToken)
		if !ok {
			log.InfoContext(ctx, "token refused", slog.String("reason", "not a bearer token"))
			return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
		}
		claims, err := v.Verify(ctx, raw)
		if err != nil {
			log.InfoContext(ctx, "token refused", slog.String("reason", err.Error()))
			return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
		}
		if claims.SessionID == "" {
			log.InfoContext(ctx, "token refused", slog.String("reason", "no session"))
			return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
		}
		sess, err := sessions.Session(ctx, claims.SessionID)
		switch {
		case errors.Is(err, problem.ErrNotFound) || (err == nil && (sess.UserID != claims.Subject || !sess.Active(time.Now()))):
			log.InfoContext(ctx, "token refused", slog.String("reason", "session ended"), slog.String("session_id", claims.SessionID))
			return events.APIGatewayCustomAuthorizerResponse{}, errUnauthorized
		case err != nil:
			return events.APIGatewayCustomAuthorizerResponse{}, fmt.Errorf("authorizer: read session: %w", err)
		}
		stage, err := stageOf(ev.MethodArn)
		if err != nil {
			return events.APIGatewayCustomAuthorizerResponse{}, err
		}
		log.InfoContext(ctx, "token accepted", slog.String("user_id", claims.Subject), slog.String("role", claims.Role),
			slog.String("method_arn", ev.MethodArn))
		return events.APIGatewayCustomAuthorizerResponse{
			PrincipalID: claims.Subject,
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
				Version: "2012-10-17",
				Statement: []events.IAMPolicyStatement{{
					Action:   []string{"execute-api:Invoke"},
					Effect:   "Allow",
					Resource: []string{stage + "/*"},
				}},
			},
			Context: map[string]any{ctxUserID: claims.Subject, ctxRole: claims.Role, ctxVerified: strconv.FormatBool(claims.EmailVerified),
				ctxSession: claims.SessionID},
		}, nil
	}
}

// stageOf cuts a method ARN (arn:aws:execute-api:region:account:api/stage/VERB/path)
// down to its API and stage.
func stageOf(methodARN string) (string, error) {
	parts := strings.SplitN(methodARN, "/", 3)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "arn:") || parts[1] == "" {
		return "", fmt.Errorf("authorizer: unexpected method ARN %q", methodARN)
	}
	return parts[0] + "/" + parts[1], nil
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// headerOf looks a header up by name, case-insensitively (clients and gateways differ in case).
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

// emailVerified reads the authorizer's verified flag (API Gateway passes context values
// on as strings; a direct invocation may pass a bool).
func (r *Request) emailVerified() bool {
	switch v := r.RequestContext.Authorizer[ctxVerified].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

func (r *Request) callerID() string {
	id, _ := r.RequestContext.Authorizer[ctxUserID].(string)
	return id
}

// Caller returns the authenticated caller, or a 401 problem. Behind the REST API a
// request without a verified token never reaches a handler; this check is the second
// wall, for direct invocations.
func (r *Request) Caller() (op.Caller, error) {
	id := r.callerID()
	role, _ := r.RequestContext.Authorizer[ctxRole].(string)
	if id == "" || (role != auth.RoleUser && role != auth.RoleAdmin) {
		return op.Caller{}, problem.ErrUnauthenticated
	}
	sid, _ := r.RequestContext.Authorizer[ctxSession].(string)
	return op.Caller{UserID: id, Role: role, RequestID: r.RequestContext.RequestID, EmailVerified: r.emailVerified(), SessionID: sid}, nil
}
