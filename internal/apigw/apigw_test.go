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

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func loadRequest(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	var ev events.APIGatewayV2HTTPRequest
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
			r := &Request{events.APIGatewayV2HTTPRequest{Body: tt.body, IsBase64Encoded: tt.base64}}
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
			h := Handle(quiet, nil, func(context.Context, *Request) (Response, error) { return Response{}, tt.err })
			out, err := h(context.Background(), events.APIGatewayV2HTTPRequest{})
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

func TestAuthorizerVerdicts(t *testing.T) {
	v := fakeVerifier{"good": {Role: auth.RoleAdmin}}
	v["good"].Subject = "u-9"
	authz := Authorizer(quiet, v)
	tests := []struct {
		name    string
		header  string
		context map[string]any
	}{
		{"valid token", "Bearer good", map[string]any{"user_id": "u-9", "role": "admin"}},
		{"scheme in lower case", "bearer good", map[string]any{"user_id": "u-9", "role": "admin"}},
		{"missing header", "", map[string]any{"auth_error": "token_missing"}},
		{"basic scheme", "Basic good", map[string]any{"auth_error": "token_missing"}},
		{"bearer without token", "Bearer ", map[string]any{"auth_error": "token_missing"}},
		{"expired", "Bearer expired", map[string]any{"auth_error": "token_expired"}},
		{"invalid", "Bearer forged", map[string]any{"auth_error": "token_invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events.APIGatewayV2CustomAuthorizerV2Request{Headers: map[string]string{}}
			if tt.header != "" {
				ev.Headers["authorization"] = tt.header
			}
			out, err := authz(context.Background(), ev)
			require.NoError(t, err)
			assert.True(t, out.IsAuthorized, "the verdict travels to the handler, which answers 401")
			assert.Equal(t, tt.context, out.Context)
		})
	}
}

func TestCaller(t *testing.T) {
	ev := loadRequest(t, "me-request.json")
	r := &Request{ev}
	c, err := r.Caller()
	require.NoError(t, err)
	assert.Equal(t, Caller{UserID: "u-1", Role: "user"}, c)
	assert.False(t, c.IsAdmin())
	assert.Equal(t, "Bearer abc", r.Header("Authorization"))

	tests := map[string]struct {
		ctx  map[string]any
		code string
	}{
		"no authorizer context": {nil, "unauthenticated"},
		"refused token":         {map[string]any{"auth_error": "token_invalid"}, "unauthenticated"},
		"expired token":         {map[string]any{"auth_error": "token_expired"}, "token_expired"},
		"unknown role":          {map[string]any{"user_id": "u-1", "role": "root"}, "unauthenticated"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ev := loadRequest(t, "me-request.json")
			ev.RequestContext.Authorizer.Lambda = tt.ctx
			_, err := (&Request{ev}).Caller()
			p, ok := problem.As(err)
			require.True(t, ok)
			assert.Equal(t, problem.KindUnauthenticated, p.Kind)
			assert.Equal(t, tt.code, p.Code)
		})
	}
}

func TestHealth(t *testing.T) {
	out, err := Handle(quiet, nil, Health())(context.Background(), events.APIGatewayV2HTTPRequest{})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, out.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, out.Body)
}
