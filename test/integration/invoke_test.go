//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/chaos"
	"github.com/serverless-wallet/wallet/internal/invoke"
)

// invokeOutcome is what one events/ file makes its function answer on a seeded stack:
// an API Gateway proxy response (status, error code, fields of its body), or a plain
// answer (fields of the payload; a consumer's: no failed batch item). A field is a path
// of keys and indexes ("items.0.id"); its wanted value may name the event's
// placeholders ("{{wallet_id}}", the same values the event was filled with); present
// means any value but null.
type invokeOutcome struct {
	status int
	code   string
	fields map[string]string
}

const present = "<present>"

// eventOutcomes names, for each function of template.yaml, what its events/ file makes
// it answer on a stack seeded by `make invoke` (internal/invoke): a new function is a
// new events/ file and one row here.
var eventOutcomes = map[string]invokeOutcome{
	"HealthFunction":               {status: 200, fields: map[string]string{"status": "ok"}},
	"SignupFunction":               {status: 202, fields: map[string]string{"status": "verification_sent"}},
	"LoginFunction":                {status: 200, fields: map[string]string{"access_token": present, "session_id": present}},
	"VerifyFunction":               {status: 200, fields: map[string]string{"email": "{{unverified_email}}", "email_verified": "true"}},
	"VerifyResendFunction":         {status: 202, fields: map[string]string{"status": "verification_sent"}},
	"RefreshFunction":              {status: 200, fields: map[string]string{"access_token": present, "session_id": "{{session_id}}"}},
	"LogoutFunction":               {status: 204},
	"ListSessionsFunction":         {status: 200, fields: map[string]string{"items.0.id": "{{session_id}}", "items.0.current": "true"}},
	"DeleteSessionFunction":        {status: 204},
	"ChangePasswordFunction":       {status: 204},
	"PasswordResetFunction":        {status: 202, fields: map[string]string{"status": "reset_sent"}},
	"PasswordResetConfirmFunction": {status: 204},
	"MeFunction":                   {status: 200, fields: map[string]string{"id": "{{user_id}}", "email": "{{email}}"}},
	"CreateWalletFunction":         {status: 201, fields: map[string]string{"owner_id": "{{fresh_user_id}}", "currency": "USD", "status": "ACTIVE"}},
	"ListWalletsFunction":          {status: 200, fields: map[string]string{"items.0.owner_id": "{{user_id}}"}},
	"GetWalletFunction":            {status: 200, fields: map[string]string{"id": "{{wallet_id}}", "status": "ACTIVE"}},
	"PatchWalletFunction":          {status: 200, fields: map[string]string{"id": "{{fresh_wallet_id}}", "status": "CLOSED"}},
	"CreateCreditFunction":         {status: 201, fields: map[string]string{"wallet_id": "{{wallet_id}}", "amount": "2500"}},
	"CreateWithdrawalFunction":     {status: 201, fields: map[string]string{"wallet_id": "{{wallet_id}}", "amount": "1500"}},
	"ListEntriesFunction":          {status: 200, fields: map[string]string{"items.0.wallet_id": "{{wallet_id}}"}},
	"CheckLedgerFunction":          {status: 200, fields: map[string]string{"ok": "true"}},
	"AdminListTransfersFunction":   {status: 200, fields: map[string]string{"items": present}},
	"ListAuditFunction":            {status: 200, fields: map[string]string{"items": present}},
	"AdminUsersFunction":           {status: 200, fields: map[string]string{"user.id": "{{user_id}}", "user.email": "{{email}}", "wallets.0.owner_id": "{{user_id}}"}},
	// No transfer of a fresh stack is under review: a saga must have failed after money
	// moved (or stalled) for one to be, which the API cannot bring about.
	"ResolveTransferFunction":       {status: 422, code: "transfer_not_in_review"},
	"CreateTransferFunction":        {status: 201, fields: map[string]string{"source_wallet_id": "{{wallet_id}}", "destination_wallet_id": "{{other_wallet_id}}"}},
	"ListTransfersFunction":         {status: 200, fields: map[string]string{"items.0.id": present}},
	"GetTransferFunction":           {status: 200, fields: map[string]string{"id": "{{transfer_id}}", "status": "COMPLETED"}},
	"CaptureTransferFunction":       {status: 200, fields: map[string]string{"id": "{{capture_hold_id}}"}},
	"VoidTransferFunction":          {status: 200, fields: map[string]string{"id": "{{void_hold_id}}", "status": "RELEASED"}},
	"RefundTransferFunction":        {status: 201, fields: map[string]string{"source_wallet_id": "{{other_wallet_id}}", "destination_wallet_id": "{{wallet_id}}"}},
	"CreatePaymentRequestFunction":  {status: 201, fields: map[string]string{"status": "PENDING", "amount": "1250"}},
	"ListPaymentRequestsFunction":   {status: 200, fields: map[string]string{"items": present}},
	"GetPaymentRequestFunction":     {status: 200, fields: map[string]string{"id": "{{payment_request_id}}", "status": "PENDING"}},
	"PayPaymentRequestFunction":     {status: 201, fields: map[string]string{"source_wallet_id": "{{wallet_id}}", "destination_wallet_id": "{{other_wallet_id}}"}},
	"DeclinePaymentRequestFunction": {status: 200, fields: map[string]string{"id": "{{payment_request_id}}", "status": "DECLINED"}},
	"CancelPaymentRequestFunction":  {status: 200, fields: map[string]string{"id": "{{payment_request_id}}", "status": "CANCELLED"}},
	"ListNotificationsFunction":     {status: 200, fields: map[string]string{"items.0.id": present}},
	"ReadNotificationFunction":      {status: 200, fields: map[string]string{"read": "true"}},
	"ReadAllNotificationsFunction":  {status: 200, fields: map[string]string{"unread_count": "0"}},
	"GetRewardsFunction":            {status: 200, fields: map[string]string{"balances.0.currency": "USD"}},
	"RedeemRewardsFunction":         {status: 201, fields: map[string]string{"points": "100", "wallet_id": "{{wallet_id}}"}},
	"AuthorizerFunction": {fields: map[string]string{"principalId": "{{user_id}}", "policyDocument.Statement.0.Effect": "Allow",
		"context.user_id": "{{user_id}}"}},
	// The steps find the seed's transfer COMPLETED: each answers what it does to a
	// transfer its saga is done with, which is nothing (their exactly-once answer).
	"SagaReserveFunction":   {fields: map[string]string{"transfer_id": "{{transfer_id}}", "status": "COMPLETED"}},
	"SagaPostFunction":      {fields: map[string]string{"transfer_id": "{{transfer_id}}", "status": "COMPLETED"}},
	"SagaReleaseFunction":   {fields: map[string]string{"transfer_id": "{{transfer_id}}", "status": "COMPLETED"}},
	"SagaFinalizeFunction":  {fields: map[string]string{"transfer_id": "{{transfer_id}}", "status": "COMPLETED"}},
	"NotifyFunction":        {},
	"EarnRewardsFunction":   {},
	"PublishEventsFunction": {},
	"ExpireHoldsFunction":   {},
	"RecordReviewFunction":  {},
}

var serverlessFunction = regexp.MustCompile(`(?m)^  (\w+):\n    Type: AWS::Serverless::Function$`)

// invokeSeeder seeds the test stack as `make invoke` does, into a file of its own.
func invokeSeeder(t *testing.T) (*invoke.Seeder, *invoke.API) {
	t.Helper()
	api := &invoke.API{Client: &chaos.Client{BaseURL: apiURL, HTTP: &http.Client{Timeout: requestTimeoutSeconds * time.Second}}, Mail: inbox(t)}
	return &invoke.Seeder{API: api, APIID: stackOutputs(t)["ApiId"], File: filepath.Join(t.TempDir(), "seed.json"),
		AdminEmail: adminEmail, AdminPassword: adminPassword}, api
}

// TestInvokeSeedIsMadeOnceAndReused checks that a second run reuses the seed it made,
// and that a seed made on another API is made again.
func TestInvokeSeedIsMadeOnceAndReused(t *testing.T) {
	seeder, _ := invokeSeeder(t)
	ctx := context.Background()
	first, err := seeder.Ensure(ctx)
	require.NoError(t, err)
	again, err := seeder.Ensure(ctx)
	require.NoError(t, err)
	assert.Equal(t, first, again, "the second run reuses the seed")
	other := *seeder
	other.APIID = "another-api"
	fresh, err := other.Ensure(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, first.UserID, fresh.UserID, "another API is seeded again")
	assert.Equal(t, "another-api", fresh.APIID)
}

// TestEveryEventFileInvokesItsFunction invokes each deployed function with its events/
// file, filled from a fresh seed as `make invoke` fills it, and checks the answer.
// Every function has exactly one file.
func TestEveryEventFileInvokesItsFunction(t *testing.T) {
	functions := templateFunctions(t)
	require.Len(t, eventOutcomes, len(functions), "an expected outcome per function")
	seeder, api := invokeSeeder(t)
	ctx := context.Background()
	seed, err := seeder.Ensure(ctx)
	require.NoError(t, err)

	fns := lambda.NewFromConfig(awsConfig(t))
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			want, ok := eventOutcomes[fn]
			require.True(t, ok, "no expected outcome for %s", fn)
			file, err := os.ReadFile("../../events/" + fn + ".json")
			require.NoError(t, err)
			values := &invoke.Values{Seed: seed, API: api, Function: fn}
			event, err := values.Render(ctx, file)
			require.NoError(t, err)
			res, err := invoke.Run(ctx, fns, deployedFunction(t, fn), event)
			require.NoError(t, err)
			require.Empty(t, res.FunctionError, "%s", res.Payload)
			answer := res.Payload
			if want.status != 0 {
				var resp struct {
					StatusCode int    `json:"statusCode"`
					Body       string `json:"body"`
				}
				require.NoError(t, json.Unmarshal(res.Payload, &resp), "%s", res.Payload)
				require.Equal(t, want.status, resp.StatusCode, "%s", resp.Body)
				if want.code != "" {
					assert.Equal(t, want.code, reply{Body: []byte(resp.Body)}.ErrorCode(), "%s", resp.Body)
				}
				answer = []byte(resp.Body)
			}
			var doc any
			if len(answer) > 0 {
				require.NoError(t, json.Unmarshal(answer, &doc), "%s", answer)
			}
			for path, w := range want.fields {
				got, found := fieldAt(doc, path)
				require.True(t, found && got != nil, "%s in %s", path, answer)
				if w == present {
					continue
				}
				expected, err := values.Render(ctx, []byte(w))
				require.NoError(t, err)
				assert.Equal(t, string(expected), scalar(got), "%s in %s", path, answer)
			}
			if m, ok := doc.(map[string]any); ok && want.status == 0 {
				assert.Empty(t, m["batchItemFailures"], "no failed batch item: %s", answer)
			}
		})
	}
}

// templateFunctions lists template.yaml's functions, and checks each has one events/ file.
func templateFunctions(t *testing.T) []string {
	t.Helper()
	tpl, err := os.ReadFile("../../template.yaml")
	require.NoError(t, err)
	var functions []string
	for _, m := range serverlessFunction.FindAllStringSubmatch(string(tpl), -1) {
		functions = append(functions, m[1])
	}
	files, err := filepath.Glob("../../events/*.json")
	require.NoError(t, err)
	var named []string
	for _, f := range files {
		named = append(named, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	sort.Strings(functions)
	sort.Strings(named)
	require.Equal(t, functions, named, "one events/<LogicalId>.json per function of template.yaml")
	return functions
}

// fieldAt follows a path of object keys and array indexes through decoded JSON.
func fieldAt(doc any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch node := doc.(type) {
		case map[string]any:
			v, ok := node[part]
			if !ok {
				return nil, false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			doc = node[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// scalar is a decoded JSON value as the text it is compared by.
func scalar(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
