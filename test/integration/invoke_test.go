//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/invoke"
)

// invokeOutcome is what one events/ file makes its function answer: an API Gateway
// proxy response (status and error code), or a function error (its errorType, when
// given, and errorMessage), or a plain answer (for consumers: no failed batch item).
type invokeOutcome struct {
	status       int
	code         string
	errorType    string
	errorMessage string
}

// eventOutcomes names, for each function of template.yaml, what its events/ file makes
// it answer. The API events act for a user who does not exist (so nothing they do
// depends on earlier tests), the steps for a transfer that does not exist.
var eventOutcomes = map[string]invokeOutcome{
	"HealthFunction":                {status: 200},
	"SignupFunction":                {status: 400, code: "invalid_password"},
	"LoginFunction":                 {status: 400, code: "missing_field"},
	"VerifyFunction":                {status: 400, code: "invalid_code"},
	"VerifyResendFunction":          {status: 400, code: "invalid_email"},
	"RefreshFunction":               {status: 401, code: "invalid_refresh_token"},
	"LogoutFunction":                {status: 404, code: "session_not_found"},
	"ListSessionsFunction":          {status: 404, code: "not_found"},
	"DeleteSessionFunction":         {status: 404, code: "session_not_found"},
	"ChangePasswordFunction":        {status: 404, code: "not_found"},
	"PasswordResetFunction":         {status: 202},
	"PasswordResetConfirmFunction":  {status: 400, code: "invalid_code"},
	"MeFunction":                    {status: 404, code: "not_found"},
	"CreateWalletFunction":          {status: 400, code: "invalid_currency"},
	"ListWalletsFunction":           {status: 200},
	"GetWalletFunction":             {status: 404, code: "not_found"},
	"PatchWalletFunction":           {status: 404, code: "not_found"},
	"CreateCreditFunction":          {status: 404, code: "not_found"},
	"CreateWithdrawalFunction":      {status: 404, code: "not_found"},
	"ListEntriesFunction":           {status: 404, code: "not_found"},
	"CheckLedgerFunction":           {status: 403, code: "forbidden"},
	"AdminListTransfersFunction":    {status: 403, code: "forbidden"},
	"ResolveTransferFunction":       {status: 403, code: "forbidden"},
	"ListAuditFunction":             {status: 403, code: "forbidden"},
	"CreateTransferFunction":        {status: 404, code: "not_found"},
	"ListTransfersFunction":         {status: 200},
	"GetTransferFunction":           {status: 404, code: "not_found"},
	"CaptureTransferFunction":       {status: 404, code: "not_found"},
	"VoidTransferFunction":          {status: 404, code: "not_found"},
	"RefundTransferFunction":        {status: 404, code: "not_found"},
	"CreatePaymentRequestFunction":  {status: 404, code: "not_found"},
	"ListPaymentRequestsFunction":   {status: 200},
	"GetPaymentRequestFunction":     {status: 404, code: "not_found"},
	"PayPaymentRequestFunction":     {status: 404, code: "not_found"},
	"DeclinePaymentRequestFunction": {status: 404, code: "not_found"},
	"CancelPaymentRequestFunction":  {status: 404, code: "not_found"},
	"ListNotificationsFunction":     {status: 200},
	"ReadNotificationFunction":      {status: 404, code: "not_found"},
	"ReadAllNotificationsFunction":  {status: 200},
	"GetRewardsFunction":            {status: 200},
	"RedeemRewardsFunction":         {status: 404, code: "not_found"},
	"AuthorizerFunction":            {errorMessage: "Unauthorized"},
	"SagaReserveFunction":           {errorType: "BusinessRefusal", errorMessage: "not_found"},
	"SagaPostFunction":              {errorType: "BusinessRefusal", errorMessage: "not_found"},
	"SagaReleaseFunction":           {errorType: "BusinessRefusal", errorMessage: "not_found"},
	"SagaFinalizeFunction":          {errorType: "BusinessRefusal", errorMessage: "not_found"},
	"NotifyFunction":                {},
	"EarnRewardsFunction":           {},
	"PublishEventsFunction":         {},
	"ExpireHoldsFunction":           {},
	"RecordReviewFunction":          {},
}

var serverlessFunction = regexp.MustCompile(`(?m)^  (\w+):\n    Type: AWS::Serverless::Function$`)

// TestEveryEventFileInvokesItsFunction invokes each deployed function with its events/
// file, as `make invoke` does, and checks the answer. Every function has exactly one file.
func TestEveryEventFileInvokesItsFunction(t *testing.T) {
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
	require.Len(t, eventOutcomes, len(functions), "an expected outcome per function")

	fns := lambda.NewFromConfig(awsConfig(t))
	ctx := context.Background()
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			want, ok := eventOutcomes[fn]
			require.True(t, ok, "no expected outcome for %s", fn)
			event, err := os.ReadFile("../../events/" + fn + ".json")
			require.NoError(t, err)
			res, err := invoke.Run(ctx, fns, deployedFunction(t, fn), event)
			require.NoError(t, err)
			switch {
			case want.errorMessage != "":
				assert.NotEmpty(t, res.FunctionError, "a function error: %s", res.Payload)
				var failure struct {
					ErrorMessage string `json:"errorMessage"`
					ErrorType    string `json:"errorType"`
				}
				require.NoError(t, json.Unmarshal(res.Payload, &failure), "%s", res.Payload)
				assert.Equal(t, want.errorMessage, failure.ErrorMessage)
				if want.errorType != "" {
					assert.Equal(t, want.errorType, failure.ErrorType)
				}
			case want.status != 0:
				require.Empty(t, res.FunctionError, "%s", res.Payload)
				var resp struct {
					StatusCode int    `json:"statusCode"`
					Body       string `json:"body"`
				}
				require.NoError(t, json.Unmarshal(res.Payload, &resp), "%s", res.Payload)
				assert.Equal(t, want.status, resp.StatusCode, "%s", resp.Body)
				if want.code != "" {
					assert.Equal(t, want.code, reply{Body: []byte(resp.Body)}.ErrorCode(), "%s", resp.Body)
				}
			default:
				require.Empty(t, res.FunctionError, "%s", res.Payload)
				var batch struct {
					BatchItemFailures []any `json:"batchItemFailures"`
				}
				if len(res.Payload) > 0 && string(res.Payload) != "null" {
					require.NoError(t, json.Unmarshal(res.Payload, &batch), "%s", res.Payload)
				}
				assert.Empty(t, batch.BatchItemFailures, "no failed batch item: %s", res.Payload)
			}
		})
	}
}
