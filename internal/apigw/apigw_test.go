package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

// Discard is a logger that writes nowhere; the external tests (apigw_test) use it too.
var Discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// RequestFromFile reads a REST API proxy event from testdata; the external tests use it too.
func RequestFromFile(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	var ev events.APIGatewayProxyRequest
	require.NoError(t, json.Unmarshal(b, &ev))
	return ev
}

func TestDecodeJSON(t *testing.T) {
	type in struct {
		Name   string `json:"name"`
		Amount int64  `json:"amount"`
	}
	tests := []struct {
		name   string
		body   string
		base64 bool
		code   string
	}{
		{name: "valid", body: `{"name":"a","amount":5}`},
		{name: "valid base64", body: base64.StdEncoding.EncodeToString([]byte(`{"name":"a"}`)), base64: true},
		{name: "bad base64", body: "!!!", base64: true, code: "invalid_body"},
		{name: "empty", body: "  ", code: "invalid_json"},
		{name: "syntax", body: `{"name":`, code: "invalid_json"},
		{name: "trailing garbage", body: `{"name":"a"} x`, code: "invalid_json"},
		{name: "second object", body: `{"name":"a"}{"name":"b"}`, code: "invalid_json"},
		{name: "wrong type", body: `{"amount":"5"}`, code: "invalid_type"},
		{name: "fraction", body: `{"amount":1.5}`, code: "invalid_type"},
		{name: "beyond int64", body: `{"amount":9223372036854775808}`, code: "invalid_type"},
		{name: "unknown field", body: `{"name":"a","role":"admin"}`, code: "unknown_field"},
		{name: "array", body: `[]`, code: "invalid_type"},
		{name: "too large", body: `{"name":"` + strings.Repeat("x", RequestBodyBytesMax) + `"}`, code: "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Request{events.APIGatewayProxyRequest{Body: tt.body, IsBase64Encoded: tt.base64}}
			var v in
			err := r.DecodeJSON(&v)
			if tt.code == "" {
				require.NoError(t, err)
				assert.Equal(t, "a", v.Name)
				return
			}
			p, ok := problem.As(err)
			require.True(t, ok, "err = %v", err)
			assert.Equal(t, problem.KindInvalid, p.Kind)
			assert.Equal(t, tt.code, p.Code)
		})
	}
}

func TestHandleMapsErrorsOnce(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{"invalid", problem.Invalid("invalid_amount", "bad"), 400, "invalid_amount", ""},
		{"unauthenticated", problem.ErrUnauthenticated, 401, "unauthenticated", ""},
		{"forbidden", problem.ErrForbidden, 403, "forbidden", ""},
		{"not found", problem.ErrNotFound, 404, "not_found", ""},
		{"conflict", problem.New(problem.KindConflict, "request_in_progress", "wait"), 409, "request_in_progress", ""},
		{"unprocessable", problem.Unprocessable("insufficient_funds", "no"), 422, "insufficient_funds", ""},
		{"rate limited", &problem.Error{Kind: problem.KindRateLimited, Code: "rate_limited", Message: "slow", RetryAfterSeconds: 3}, 429, "rate_limited", "3"},
		{"unavailable", &problem.Error{Kind: problem.KindUnavailable, Code: "service_unavailable", Message: "later", RetryAfterSeconds: 30}, 503, "service_unavailable", "30"},
		{"wrapped problem", errors.Join(errors.New("ctx"), problem.ErrNotFound), 404, "not_found", ""},
		{"internal", errors.New("dynamodb: secret table name leaked"), 500, "internal_error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Handle(Discard, nil, nil, func(context.Context, *Request) (Response, error) { return Response{}, tt.err })
			out, err := h(context.Background(), events.APIGatewayProxyRequest{})
			require.NoError(t, err, "handlers never return a Lambda error")
			assert.Equal(t, tt.status, out.StatusCode)
			var body ErrorBody
			require.NoError(t, json.Unmarshal([]byte(out.Body), &body))
			assert.Equal(t, tt.code, body.Error.Code)
			assert.NotContains(t, out.Body, "dynamodb", "internal text never reaches the client")
			assert.Equal(t, tt.retryAfter, out.Headers["Retry-After"])
			assert.Equal(t, "application/json", out.Headers["Content-Type"])
		})
	}
}

type fakeVerifier map[string]*auth.Claims

func (f fakeVerifier) Verify(_ context.Context, raw string) (*auth.Claims, error) {
	switch raw {
	case "expired":
		return nil, auth.ErrTokenExpired
	}
	if c, ok := f[raw]; ok {
		return c, nil
	}
	return nil, auth.ErrTokenInvalid
}

// fakeSessions holds sessions by id.
type fakeSessions map[string]user.SessionRecord

func (f fakeSessions) Session(_ context.Context, id string) (user.SessionRecord, error) {
	if s, ok := f[id]; ok {
		return s, nil
	}
	return user.SessionRecord{}, problem.ErrNotFound
}

func TestAuthorizer(t *testing.T) {
	v := fakeVerifier{"good": {Role: auth.RoleAdmin, SessionID: "s_live"}, "revoked": {Role: auth.RoleUser, SessionID: "s_revoked"},
		"expired-session": {Role: auth.RoleUser, SessionID: "s_old"}, "unknown-session": {Role: auth.RoleUser, SessionID: "s_gone"},
		"no-session": {Role: auth.RoleUser}, "another-users-session": {Role: auth.RoleUser, SessionID: "s_live"}}
	for name, c := range v {
		c.Subject = "u-9"
		if name == "another-users-session" {
			c.Subject = "u-1"
		}
	}
	later := time.Now().Add(time.Hour)
	sessions := fakeSessions{"s_live": {UserID: "u-9", ExpiresAt: later}, "s_revoked": {UserID: "u-9", Revoked: true, ExpiresAt: later},
		"s_old": {UserID: "u-9", ExpiresAt: time.Now().Add(-time.Second)}}
	authz := Authorizer(Discard, v, sessions)
	const methodARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/v1/wallets"
	allowed := func(resource string) events.APIGatewayCustomAuthorizerResponse {
		return events.APIGatewayCustomAuthorizerResponse{
			PrincipalID: "u-9",
			PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
				Version: "2012-10-17",
				Statement: []events.IAMPolicyStatement{{
					Action:   []string{"execute-api:Invoke"},
					Effect:   "Allow",
					Resource: []string{resource},
				}},
			},
			Context: map[string]any{"user_id": "u-9", "role": "admin", "email_verified": "false", "session_id": "s_live"},
		}
	}
	tests := []struct {
		name      string
		token     string
		methodARN string
		want      events.APIGatewayCustomAuthorizerResponse
		refused   bool // answered "Unauthorized": API Gateway's 401
		wantErr   bool // any other error: API Gateway's 500
	}{
		{name: "valid token", token: "Bearer good", methodARN: methodARN,
			want: allowed("arn:aws:execute-api:us-east-1:123456789012:abc123/v1/*")},
		{name: "scheme in lower case", token: "bearer good", methodARN: methodARN,
			want: allowed("arn:aws:execute-api:us-east-1:123456789012:abc123/v1/*")},
		{name: "every method of the stage, not only the one called", token: "Bearer good",
			methodARN: "arn:aws:execute-api:eu-west-1:123456789012:xyz789/dev/POST/v1/transfers/t-1/capture",
			want:      allowed("arn:aws:execute-api:eu-west-1:123456789012:xyz789/dev/*")},
		{name: "missing token", token: "", methodARN: methodARN, refused: true},
		{name: "basic scheme", token: "Basic x", methodARN: methodARN, refused: true},
		{name: "a valid token under another scheme", token: "Basic good", methodARN: methodARN, refused: true},
		{name: "bearer without token", token: "Bearer ", methodARN: methodARN, refused: true},
		{name: "expired", token: "Bearer expired", methodARN: methodARN, refused: true},
		{name: "forged", token: "Bearer forged", methodARN: methodARN, refused: true},
		{name: "a revoked session", token: "Bearer revoked", methodARN: methodARN, refused: true},
		{name: "an expired session", token: "Bearer expired-session", methodARN: methodARN, refused: true},
		{name: "an unknown session", token: "Bearer unknown-session", methodARN: methodARN, refused: true},
		{name: "a token without a session", token: "Bearer no-session", methodARN: methodARN, refused: true},
		{name: "another user's session", token: "Bearer another-users-session", methodARN: methodARN, refused: true},
		{name: "method ARN without stage", token: "Bearer good", methodARN: "arn:aws:execute-api:us-east-1:123456789012:abc123", wantErr: true},
		{name: "method ARN with two parts", token: "Bearer good", methodARN: "arn:aws:execute-api:us-east-1:123456789012:abc123/v1", wantErr: true},
		{name: "method ARN not an ARN", token: "Bearer good", methodARN: "abc123/v1/GET/v1/wallets", wantErr: true},
		{name: "empty method ARN", token: "Bearer good", methodARN: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: tt.token, MethodArn: tt.methodARN}
			out, err := authz(context.Background(), ev)
			switch {
			case tt.refused:
				require.Error(t, err)
				assert.Equal(t, "Unauthorized", err.Error(), "API Gateway answers 401 only to this exact message")
				assert.Equal(t, events.APIGatewayCustomAuthorizerResponse{}, out)
			case tt.wantErr:
				require.Error(t, err)
				assert.NotEqual(t, "Unauthorized", err.Error(), "a broken request is not the caller's fault")
				assert.Equal(t, events.APIGatewayCustomAuthorizerResponse{}, out)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, out)
				require.Len(t, out.PolicyDocument.Statement, 1)
				assert.Equal(t, tt.want.PolicyDocument.Statement[0].Resource, out.PolicyDocument.Statement[0].Resource)
			}
		})
	}
}

func TestCaller(t *testing.T) {
	ev := RequestFromFile(t, "me-request.json")
	r := &Request{ev}
	c, err := r.Caller()
	require.NoError(t, err)
	assert.Equal(t, op.Caller{UserID: "u-1", Role: "user", RequestID: "req-1", EmailVerified: true}, c)
	assert.False(t, c.IsAdmin())
	assert.Equal(t, "Bearer abc", r.Header("Authorization"))
	assert.Equal(t, "Bearer abc", r.Header("authorization"), "header names are matched case-insensitively")

	tests := map[string]map[string]any{
		"no authorizer context":    nil,
		"empty authorizer context": {},
		"principal only":           {"principalId": "u-1"},
		"unknown role":             {"user_id": "u-1", "role": "root"},
		"role without a user":      {"role": "user"},
		"user id not a string":     {"user_id": 1, "role": "user"},
	}
	for name, authorizer := range tests {
		t.Run(name, func(t *testing.T) {
			ev := RequestFromFile(t, "me-request.json")
			ev.RequestContext.Authorizer = authorizer
			_, err := (&Request{ev}).Caller()
			p, ok := problem.As(err)
			require.True(t, ok, "err = %v", err)
			assert.Equal(t, problem.KindUnauthenticated, p.Kind)
			assert.Equal(t, "unauthenticated", p.Code)
		})
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"me-request.json", "GET /v1/me"},
		{"capture-request.json", "POST /v1/transfers/{id}/capture"},
		{"create-transfer-unauthenticated.json", "POST /v1/transfers"},
		{"notifications-request.json", "GET /v1/notifications"},
		{"redeem-request.json", "POST /v1/rewards/redeem"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := &Request{RequestFromFile(t, tt.file)}
			assert.Equal(t, tt.want, r.Route(), "the resource template, not the concrete path %q", r.Path)
			assert.Contains(t, RouteClasses, r.Route())
		})
	}
}

func TestHealth(t *testing.T) {
	out, err := Handle(Discard, nil, nil, Health())(context.Background(), events.APIGatewayProxyRequest{})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, out.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, out.Body)
}
