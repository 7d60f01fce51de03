package apigw_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// fakeTransfers records Create and Capture calls.
type fakeTransfers struct {
	creates  []transfer.CreateInput
	captures []captureCall
	refunds  []transfer.RefundInput
	res      op.Result
}

type captureCall struct {
	caller op.Caller
	id     string
	key    string
	in     transfer.CaptureInput
}

func (f *fakeTransfers) Create(_ context.Context, _ op.Caller, _ string, in transfer.CreateInput) (op.Result, error) {
	f.creates = append(f.creates, in)
	return f.res, nil
}

func (f *fakeTransfers) Get(context.Context, op.Caller, string) (transfer.View, error) {
	return transfer.View{}, nil
}

func (f *fakeTransfers) List(context.Context, op.Caller, string, int, string) (transfer.Page, error) {
	return transfer.Page{}, nil
}

func (f *fakeTransfers) Capture(_ context.Context, c op.Caller, id, key string, in transfer.CaptureInput) (op.Result, error) {
	f.captures = append(f.captures, captureCall{c, id, key, in})
	return f.res, nil
}

func (f *fakeTransfers) Void(context.Context, op.Caller, string, string) (op.Result, error) {
	return op.Result{}, nil
}

func (f *fakeTransfers) Refund(_ context.Context, _ op.Caller, _, _ string, in transfer.RefundInput) (op.Result, error) {
	f.refunds = append(f.refunds, in)
	return f.res, nil
}

func TestRefundTransfer(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     transfer.RefundInput
		wantCode string
	}{
		{name: "part of a transfer", body: `{"amount":500}`, want: transfer.RefundInput{Amount: 500}},
		{name: "with a description", body: `{"amount":1,"description":"one item returned"}`,
			want: transfer.RefundInput{Amount: 1, Description: "one item returned"}},
		{name: "no body", body: "", wantCode: "invalid_json"},
		{name: "fractional amount", body: `{"amount":5.5}`, wantCode: "invalid_amount"},
		{name: "unknown field", body: `{"amount":500,"currency":"USD"}`, wantCode: "unknown_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "capture-request.json")
			ev.Resource, ev.Body = "/v1/transfers/{id}/refunds", tt.body
			ts := &fakeTransfers{res: op.Result{Outcome: op.Created, Body: []byte(`{"id":"r-1","status":"COMPLETED"}`)}}
			resp := serve(t, apigw.RefundTransfer(ts), ev)
			if tt.wantCode != "" {
				assertBadRequest(t, resp, tt.wantCode)
				assert.Empty(t, ts.refunds)
				return
			}
			assert.Equal(t, http.StatusCreated, resp.StatusCode)
			assert.Equal(t, []transfer.RefundInput{tt.want}, ts.refunds)
		})
	}
}

func minor(n int64) *money.Minor {
	m := money.Minor(n)
	return &m
}

func TestCaptureTransfer(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		base64   bool
		role     string
		want     transfer.CaptureInput
		wantCode string
	}{
		{name: "no body captures the whole hold", body: "", want: transfer.CaptureInput{}},
		{name: "partial capture", body: `{"amount":500}`, want: transfer.CaptureInput{Amount: minor(500)}},
		{name: "empty object", body: `{}`, want: transfer.CaptureInput{}},
		{name: "base64 body", body: base64.StdEncoding.EncodeToString([]byte(`{"amount":7}`)), base64: true, want: transfer.CaptureInput{Amount: minor(7)}},
		{name: "admin caller", body: "", role: "admin", want: transfer.CaptureInput{}},
		{name: "broken JSON", body: `{"amount":`, wantCode: "invalid_json"},
		{name: "amount as string", body: `{"amount":"500"}`, wantCode: "invalid_amount"},
		{name: "fractional amount", body: `{"amount":5.5}`, wantCode: "invalid_amount"},
		{name: "unknown field", body: `{"amount":500,"currency":"USD"}`, wantCode: "unknown_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "capture-request.json")
			ev.Body, ev.IsBase64Encoded = tt.body, tt.base64
			role := "user"
			if tt.role != "" {
				role = tt.role
				ev.RequestContext.Authorizer["role"] = role
			}
			ts := &fakeTransfers{res: op.Result{Outcome: op.Accepted, Body: []byte(`{"id":"t-1","status":"HELD"}`)}}
			resp := serve(t, apigw.CaptureTransfer(ts), ev)
			if tt.wantCode != "" {
				assertBadRequest(t, resp, tt.wantCode)
				assert.Empty(t, ts.captures)
				return
			}
			assert.Equal(t, http.StatusAccepted, resp.StatusCode)
			assert.Equal(t, `{"id":"t-1","status":"HELD"}`, resp.Body)
			require.Len(t, ts.captures, 1)
			got := ts.captures[0]
			assert.Equal(t, op.Caller{UserID: "u-1", Role: role, RequestID: "req-capture-1", EmailVerified: true}, got.caller)
			assert.Equal(t, "t-1", got.id)
			assert.Equal(t, "capture-0001", got.key)
			assert.Equal(t, tt.want, got.in)
		})
	}
}

func TestCreateTransferAuthentication(t *testing.T) {
	tests := []struct {
		name       string
		authorizer map[string]any
	}{
		{name: "no authorizer context", authorizer: nil},
		{name: "empty authorizer context", authorizer: map[string]any{}},
		{name: "principal only", authorizer: map[string]any{"principalId": "u-1"}},
		{name: "user without a known role", authorizer: map[string]any{"principalId": "u-1", "user_id": "u-1", "role": "superuser"}},
		{name: "role without a user", authorizer: map[string]any{"role": "user"}},
		{name: "empty user id", authorizer: map[string]any{"user_id": "", "role": "user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "create-transfer-unauthenticated.json")
			ev.RequestContext.Authorizer = tt.authorizer
			ts := &fakeTransfers{}
			resp := serve(t, apigw.CreateTransfer(ts), ev)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			assert.Equal(t, "unauthenticated", errorCode(t, resp))
			assert.Empty(t, ts.creates, "an unauthenticated request must not reach the service")
		})
	}
}

func TestCreateTransferAuthenticated(t *testing.T) {
	ev := apigw.RequestFromFile(t, "create-transfer-unauthenticated.json")
	ev.RequestContext.Authorizer = map[string]any{"principalId": "u-1", "user_id": "u-1", "role": "user", "email_verified": "true"}
	ts := &fakeTransfers{res: op.Result{Outcome: op.Created, Body: []byte(`{"id":"t-9"}`), Replayed: true}}
	resp := serve(t, apigw.CreateTransfer(ts), ev)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "true", resp.Headers["Idempotent-Replayed"])
	assert.Equal(t, []transfer.CreateInput{{SourceWalletID: "w-1", DestinationWalletID: "w-2", Amount: 100, Currency: "USD"}}, ts.creates)
}

// TestGuardedResultsAreAnsweredOnce: each outcome of a guarded write has its status, a
// refusal (a transfer that ran and failed) is the one error body with its details, and
// a replay says so whichever it is.
func TestGuardedResultsAreAnsweredOnce(t *testing.T) {
	failed := &problem.Error{Kind: problem.KindUnprocessable, Code: "insufficient_funds",
		Message: "the transfer failed and moved no money", Details: map[string]any{"transfer_id": "t-3"}}
	tests := map[string]struct {
		res        op.Result
		wantStatus int
		wantCode   string
		wantBody   string
	}{
		"created":             {res: op.Result{Outcome: op.Created, Body: []byte(`{"id":"t-1"}`)}, wantStatus: http.StatusCreated, wantBody: `{"id":"t-1"}`},
		"done":                {res: op.Result{Outcome: op.Done, Body: []byte(`{"id":"t-1"}`)}, wantStatus: http.StatusOK, wantBody: `{"id":"t-1"}`},
		"accepted":            {res: op.Result{Outcome: op.Accepted, Body: []byte(`{"id":"t-2"}`)}, wantStatus: http.StatusAccepted, wantBody: `{"id":"t-2"}`},
		"refused":             {res: op.Result{Refusal: failed}, wantStatus: http.StatusUnprocessableEntity, wantCode: "insufficient_funds"},
		"refused, replayed":   {res: op.Result{Refusal: failed, Replayed: true}, wantStatus: http.StatusUnprocessableEntity, wantCode: "insufficient_funds"},
		"no outcome is a bug": {res: op.Result{Body: []byte(`{}`)}, wantStatus: http.StatusInternalServerError, wantCode: "internal_error"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ev := apigw.RequestFromFile(t, "create-transfer-unauthenticated.json")
			ev.RequestContext.Authorizer = map[string]any{"principalId": "u-1", "user_id": "u-1", "role": "user", "email_verified": "true"}
			resp := serve(t, apigw.CreateTransfer(&fakeTransfers{res: tt.res}), ev)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.wantBody != "" {
				assert.JSONEq(t, tt.wantBody, resp.Body)
			}
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, errorCode(t, resp))
			}
			if tt.res.Refusal != nil {
				assert.Contains(t, resp.Body, `"transfer_id":"t-3"`, "the refusal's details are in the body")
			}
			assert.Equal(t, tt.res.Replayed, resp.Headers["Idempotent-Replayed"] == "true")
		})
	}
}
