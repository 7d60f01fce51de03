//go:build integration

package integration

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/secrets"
)

// kidOf reads the key id a token names (without verifying it: the API does that).
func kidOf(t *testing.T, token string) string {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	require.NoError(t, err)
	kid, _ := parsed.Header["kid"].(string)
	return kid
}

// keyChangeDeadlineFactor bounds the wait for a key change to show: this many times
// the interval in which it must show.
const keyChangeDeadlineFactor = 4

// TestSigningKeyRotation rotates the signing key twice the way an operator does
// (secrets.RotateSigningKey, which cmd/rotatekey runs): a token signed with the previous
// key keeps working, new logins sign with the new key once the functions have re-read
// it, and a token whose key was retired by the second rotation is refused.
func TestSigningKeyRotation(t *testing.T) {
	out := stackOutputs(t)
	secretID := out["SigningKeySecretArn"]
	require.NotEmpty(t, secretID)
	refreshSeconds, err := strconv.Atoi(out["SigningKeyRefreshSeconds"])
	require.NoError(t, err)
	cacheSeconds, err := strconv.Atoi(out["AuthorizerCacheSeconds"])
	require.NoError(t, err)
	// The functions re-read the keys every refresh interval, and API Gateway keeps an
	// authorizer's answer for a token for its cache time: each change below is polled for
	// until a deadline of a few times those, never waited for with a fixed sleep.
	refresh := time.Duration(refreshSeconds) * time.Second
	retire := refresh + time.Duration(cacheSeconds)*time.Second
	deadline := func(d time.Duration) time.Time { return time.Now().Add(keyChangeDeadlineFactor * (d + time.Second)) }
	sm := secretsmanager.NewFromConfig(awsConfig(t))
	ctx := context.Background()
	t.Cleanup(forgetAdminToken) // a cached admin token may be signed with a retired key
	from := time.Now()
	t.Cleanup(func() { // on failure, why the authorizer refused: its own log lines
		if !t.Failed() {
			return
		}
		lines, err := allLines(cloudwatchlogs.NewFromConfig(awsConfig(t)), from)
		if err != nil {
			t.Logf("the authorizer's lines: %v", err)
		}
		for _, l := range lines {
			if l.Function == "AuthorizerFunction" && strings.Contains(l.Message, "refused") {
				t.Logf("%s %s", l.At.Format(time.RFC3339Nano), l.Message)
			}
		}
	})

	me := func(token string) int {
		t.Helper()
		return do(t, call{method: "GET", path: "/v1/me", token: token}).Status
	}
	u := signupAndLogin(t, "keys")
	current, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(current.VersionId), kidOf(t, u.Token), "tokens name the key's version")

	second, err := secrets.RotateSigningKey(ctx, sm, secretID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, me(u.Token), "a token signed with the previous key still works")

	var fresh string
	// one login a second: well inside the login rate limit
	require.NoError(t, pollUntil(deadline(refresh), time.Second, func() (bool, error) {
		fresh = login(t, u.Email, testPassword)
		return kidOf(t, fresh) == second, nil
	}), "new logins sign with the new key")
	assert.Equal(t, http.StatusOK, me(fresh))
	assert.Equal(t, http.StatusOK, me(u.Token), "the previous key is still accepted")

	_, err = secrets.RotateSigningKey(ctx, sm, secretID)
	require.NoError(t, err)
	var r reply
	eventually(t, deadline(retire), "a token signed with a retired key is refused", func() bool {
		r = do(t, call{method: "GET", path: "/v1/me", token: u.Token})
		return r.Status != http.StatusOK
	})
	assert.Equal(t, http.StatusUnauthorized, r.Status, "a token signed with a retired key is refused: %s", r.Body)
	assert.Equal(t, "unauthenticated", r.ErrorCode())
	assert.Equal(t, http.StatusOK, me(fresh), "the token of the key that is now previous still works")
}
