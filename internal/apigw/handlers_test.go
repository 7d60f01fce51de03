package apigw_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/reward"
)

func serve(t *testing.T, fn apigw.HandlerFunc, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := apigw.Handle(apigw.Discard, nil, nil, fn)(context.Background(), ev)
	require.NoError(t, err, "handlers answer errors in the response, never as a Lambda error")
	return resp
}

// assertBadRequest checks resp is a 400 with the error code want.
func assertBadRequest(t *testing.T, resp events.APIGatewayProxyResponse, want string) {
	t.Helper()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, want, errorCode(t, resp))
}

func errorCode(t *testing.T, resp events.APIGatewayProxyResponse) string {
	t.Helper()
	var body apigw.ErrorBody
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &body), "body: %s", resp.Body)
	return body.Error.Code
}

// unauthenticated is ev invoked directly, without the authorizer's verified context:
// authorizer stands in for whatever context reached the function, and the
// Authorization header is removed.
func unauthenticated(ev events.APIGatewayProxyRequest, authorizer map[string]any) events.APIGatewayProxyRequest {
	ev.RequestContext.Authorizer = authorizer
	for k := range ev.Headers {
		if strings.EqualFold(k, "Authorization") {
			delete(ev.Headers, k)
		}
	}
	for k := range ev.MultiValueHeaders {
		if strings.EqualFold(k, "Authorization") {
			delete(ev.MultiValueHeaders, k)
		}
	}
	return ev
}

// fakeNotifications records List calls.
type fakeNotifications struct {
	calls []listCall
	page  notification.Page
}

func (f *fakeNotifications) List(_ context.Context, userID string, limit int, cursor string) (notification.Page, error) {
	f.calls = append(f.calls, listCall{userID, limit, cursor})
	return f.page, nil
}

type listCall struct {
	user   string
	limit  int
	cursor string
}

func (f *fakeNotifications) MarkRead(context.Context, string, string) error { return nil }
func (f *fakeNotifications) MarkAllRead(context.Context, string) error      { return nil }

func TestListNotificationsLimit(t *testing.T) {
	tests := []struct {
		name     string
		query    map[string]string
		want     *listCall
		wantCode string
	}{
		{name: "limit and cursor", query: map[string]string{"limit": "10", "cursor": "abc"}, want: &listCall{"u-1", 10, "abc"}},
		{name: "default limit", query: nil, want: &listCall{"u-1", notification.PageSizeDefault, ""}},
		{name: "zero reaches the service, which refuses it", query: map[string]string{"limit": "0"}, want: &listCall{"u-1", 0, ""}},
		{name: "not a number", query: map[string]string{"limit": "ten"}, wantCode: "invalid_limit"},
		{name: "fraction", query: map[string]string{"limit": "1.5"}, wantCode: "invalid_limit"},
		{name: "empty", query: map[string]string{"limit": ""}, wantCode: "invalid_limit"},
		{name: "overflow", query: map[string]string{"limit": "99999999999999999999"}, wantCode: "invalid_limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "notifications-request.json")
			ev.QueryStringParameters = tt.query
			ns := &fakeNotifications{page: notification.Page{Items: []notification.Notification{}, UnreadCount: 2}}
			resp := serve(t, apigw.ListNotifications(ns), ev)
			if tt.wantCode != "" {
				assertBadRequest(t, resp, tt.wantCode)
				assert.Empty(t, ns.calls)
				return
			}
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, []listCall{*tt.want}, ns.calls)
			assert.JSONEq(t, `{"items":[],"next_cursor":null,"unread_count":2}`, resp.Body)
		})
	}
}

// noteStore is the least notification.Store the real service needs to serve List.
type noteStore struct{ limits []int }

func (s *noteStore) Exists(context.Context, notification.Notification) (bool, error) {
	return false, nil
}
func (s *noteStore) Add(context.Context, notification.Notification) error { return nil }
func (s *noteStore) List(_ context.Context, _ string, limit int, _ string) ([]notification.Notification, string, int64, error) {
	s.limits = append(s.limits, limit)
	return nil, "", 0, nil
}
func (s *noteStore) MarkRead(context.Context, string, string) error       { return nil }
func (s *noteStore) MarkAllRead(context.Context, string, time.Time) error { return nil }

func TestListNotificationsBoundsThroughTheService(t *testing.T) {
	tests := []struct {
		limit      string
		wantStatus int
	}{
		{"0", http.StatusBadRequest},
		{"-1", http.StatusBadRequest},
		{"101", http.StatusBadRequest},
		{"1", http.StatusOK},
		{"100", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.limit, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "notifications-request.json")
			ev.QueryStringParameters = map[string]string{"limit": tt.limit}
			store := &noteStore{}
			resp := serve(t, apigw.ListNotifications(&notification.Service{Store: store}), ev)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, resp.Body)
			if tt.wantStatus != http.StatusOK {
				assert.Equal(t, "invalid_limit", errorCode(t, resp))
				assert.Empty(t, store.limits)
			}
		})
	}
}

func TestListNotificationsUnauthenticated(t *testing.T) {
	ns := &fakeNotifications{}
	resp := serve(t, apigw.ListNotifications(ns), unauthenticated(apigw.RequestFromFile(t, "notifications-request.json"), nil))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "unauthenticated", errorCode(t, resp))
	assert.Empty(t, ns.calls)
}

// fakeRewards records Redeem calls and answers with res/err.
type fakeRewards struct {
	res    op.Result
	err    error
	keys   []string
	inputs []reward.RedeemInput
	caller []op.Caller
}

func (f *fakeRewards) Get(context.Context, string, int, string) (reward.Page, error) {
	return reward.Page{}, nil
}

func (f *fakeRewards) Redeem(_ context.Context, c op.Caller, key string, in reward.RedeemInput) (op.Result, error) {
	f.caller = append(f.caller, c)
	f.keys = append(f.keys, key)
	f.inputs = append(f.inputs, in)
	return f.res, f.err
}

func TestRedeemRewards(t *testing.T) {
	stored := `{"id":"redeem-abc","points":150,"wallet_id":"w-1","amount":150,"currency":"USD","balance_after":1150,"created_at":"2026-01-01T00:00:00Z"}`
	tests := []struct {
		name         string
		headers      map[string]string
		body         string
		res          op.Result
		err          error
		wantStatus   int
		wantReplayed bool
		wantKey      string
		wantCode     string
	}{
		{
			name:       "first request",
			res:        op.Result{Outcome: op.Created, Body: []byte(stored)},
			wantStatus: http.StatusCreated, wantKey: "redeem-0001",
		},
		{
			name:       "replayed request",
			res:        op.Result{Outcome: op.Created, Body: []byte(stored), Replayed: true},
			wantStatus: http.StatusCreated, wantReplayed: true, wantKey: "redeem-0001",
		},
		{
			name:       "header name in lower case",
			headers:    map[string]string{"authorization": "Bearer abc", "idempotency-key": "redeem-XYZ"},
			res:        op.Result{Outcome: op.Created, Body: []byte(stored)},
			wantStatus: http.StatusCreated, wantKey: "redeem-XYZ",
		},
		{
			name:       "no key: the service decides",
			headers:    map[string]string{"Authorization": "Bearer abc"},
			err:        problem.Invalid("idempotency_key_required", "the Idempotency-Key header is required"),
			wantStatus: http.StatusBadRequest, wantKey: "", wantCode: "idempotency_key_required",
		},
		{
			name:       "insufficient points",
			err:        reward.ErrInsufficientPoints,
			wantStatus: http.StatusUnprocessableEntity, wantKey: "redeem-0001", wantCode: "insufficient_points",
		},
		{
			name:       "internal error is hidden",
			err:        errors.New("dynamodb: table ledger-prod not found"),
			wantStatus: http.StatusInternalServerError, wantKey: "redeem-0001", wantCode: "internal_error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "redeem-request.json")
			if tt.headers != nil {
				ev.Headers = tt.headers
			}
			if tt.body != "" {
				ev.Body = tt.body
			}
			rs := &fakeRewards{res: tt.res, err: tt.err}
			resp := serve(t, apigw.RedeemRewards(rs), ev)

			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			require.Len(t, rs.keys, 1)
			assert.Equal(t, tt.wantKey, rs.keys[0])
			assert.Equal(t, []reward.RedeemInput{{Points: 150, WalletID: "w-1"}}, rs.inputs)
			assert.Equal(t, []op.Caller{{UserID: "u-1", Role: auth.RoleUser, RequestID: "req-redeem-1", EmailVerified: true}}, rs.caller)
			if tt.wantReplayed {
				assert.Equal(t, "true", resp.Headers["Idempotent-Replayed"])
			} else {
				assert.NotContains(t, resp.Headers, "Idempotent-Replayed")
			}
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, errorCode(t, resp))
				assert.NotContains(t, resp.Body, "ledger-prod")
				return
			}
			assert.Equal(t, stored, resp.Body, "the stored body is answered byte for byte")
			assert.Equal(t, "application/json", resp.Headers["Content-Type"])
		})
	}
}

func TestRedeemRewardsRefusedBeforeTheService(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		authorizer map[string]any // replaces the authorizer context when not nil
		wantStatus int
		wantCode   string
	}{
		{name: "unknown field", body: `{"points":150,"wallet_id":"w-1","bonus":true}`, wantStatus: http.StatusBadRequest, wantCode: "unknown_field"},
		{name: "points as string", body: `{"points":"150","wallet_id":"w-1"}`, wantStatus: http.StatusBadRequest, wantCode: "invalid_type"},
		{name: "no body", body: " ", wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "no authorizer context", authorizer: map[string]any{}, wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
		{name: "unknown role", authorizer: map[string]any{"principalId": "u-1", "user_id": "u-1", "role": "root"}, wantStatus: http.StatusUnauthorized, wantCode: "unauthenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "redeem-request.json")
			if tt.body != "" {
				ev.Body = tt.body
			}
			if tt.authorizer != nil {
				ev = unauthenticated(ev, tt.authorizer)
			}
			rs := &fakeRewards{}
			resp := serve(t, apigw.RedeemRewards(rs), ev)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantCode, errorCode(t, resp))
			assert.Empty(t, rs.keys, "the service must not be called")
		})
	}
}
