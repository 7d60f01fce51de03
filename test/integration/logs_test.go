//go:build integration

package integration

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/trace"
)

// logsWait bounds the wait for a function's log lines to reach the engine's log groups.
const logsWait = 60 * time.Second

// TestOneTransferStoryInTheLogs follows one transfer by its id through every function
// that touched it, as make trace does: the API request that created it, its one saga step,
// the event publisher and both consumers.
func TestOneTransferStoryInTheLogs(t *testing.T) {
	t.Parallel()
	from := time.Now().Add(-time.Minute)
	a, wa := funded(t, "story", 500)
	_, wb := funded(t, "story-b", 0)
	id := transferIDOf(t, postTransfer(t, a.Token, "story-1", transferBody(wa.ID, wb.ID, 100)))
	require.Equal(t, "COMPLETED", waitFinal(t, a.Token, id).Status)

	want := []string{"CreateTransferFunction", "SagaPostFunction", "PublishEventsFunction", "NotifyFunction", "EarnRewardsFunction"}
	logs := cloudwatchlogs.NewFromConfig(awsConfig(t))
	var seen map[string]bool
	err := pollUntil(time.Now().Add(logsWait), time.Second, func() (bool, error) {
		lines, err := trace.Story(context.Background(), logs, stackName(), id, from)
		if err != nil {
			return false, err
		}
		seen = map[string]bool{}
		for _, l := range lines {
			seen[l.Function] = true
		}
		for _, fn := range want {
			if !seen[fn] {
				return false, nil
			}
		}
		return true, nil
	})
	assert.NoError(t, err, "functions whose lines name transfer %s: %v", id, seen)
}

// TestLogsHoldNoSecrets reads every log line the stack's functions wrote during a
// signup, a login and authenticated calls, and looks for the password, the access token
// and the signing key.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	from := time.Now().Add(-time.Second)
	a := signupAndLogin(t, "secrets")
	w := createWallet(t, a.Token, "USD")
	bad := do(t, call{method: "POST", path: "/v1/auth/login", body: map[string]string{"email": a.Email, "password": testPassword + "-wrong"}})
	assert.Equal(t, http.StatusUnauthorized, bad.Status, "%s", bad.Body)

	cfg := awsConfig(t)
	secret, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(context.Background(),
		&secretsmanager.GetSecretValueInput{SecretId: aws.String(stackOutputs(t)["SigningKeySecretArn"])})
	require.NoError(t, err)
	key := aws.ToString(secret.SecretString)
	require.NotEmpty(t, key)
	secrets := map[string]string{"the password": testPassword, "the access token": a.Token, "the signing key": key,
		"a bearer header": "Bearer ey"}

	logs := cloudwatchlogs.NewFromConfig(cfg)
	var lines []trace.Line
	// The wallet creation's request line names the wallet: once it is there, so is
	// everything the calls before it wrote.
	err = pollUntil(time.Now().Add(logsWait), time.Second, func() (bool, error) {
		var err error
		lines, err = allLines(logs, from)
		if err != nil {
			return false, err
		}
		for _, l := range lines {
			if l.Function == "CreateWalletFunction" && strings.Contains(l.Message, a.ID) {
				return true, nil
			}
		}
		return false, nil
	})
	require.NoError(t, err, "the calls' log lines never arrived (wallet %s)", w.ID)
	require.NotEmpty(t, lines)
	for _, l := range lines {
		for what, s := range secrets {
			assert.NotContains(t, l.Message, s, "%s logged %s", l.Function, what)
		}
	}
}

func allLines(logs trace.LogsAPI, from time.Time) ([]trace.Line, error) {
	return trace.All(context.Background(), logs, stackName(), from)
}

// stackName is the deployed stack's name (WALLET_STACK_NAME, "wallet" by default).
func stackName() string {
	if s := os.Getenv("WALLET_STACK_NAME"); s != "" {
		return s
	}
	return "wallet"
}
