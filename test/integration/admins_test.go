//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var adminCommand struct {
	once sync.Once
	path string
	err  error
}

// runAdmin runs the operator's command (cmd/admin, built once per test process) against
// the deployed stack, as `make admin-grant` and `make admin-revoke` do: its output, and
// its error when it exits non-zero.
func runAdmin(t *testing.T, verb, email, reason string) (string, error) {
	t.Helper()
	adminCommand.once.Do(func() {
		adminCommand.path = filepath.Join(binDir, "admin")
		out, err := exec.Command("go", "build", "-o", adminCommand.path, "../../cmd/admin").CombinedOutput() // #nosec G204 -- fixed arguments
		if err != nil {
			adminCommand.err = fmt.Errorf("%w: %s", err, out)
		}
	})
	require.NoError(t, adminCommand.err, "build cmd/admin: %s", adminCommand.err)
	outputs := os.Getenv("WALLET_OUTPUTS_FILE")
	if !filepath.IsAbs(outputs) {
		outputs = filepath.Join("..", "..", outputs)
	}
	var out bytes.Buffer
	cmd := exec.Command(adminCommand.path, verb, "--email", email, "--reason", reason, "--outputs", outputs) // #nosec G204 -- the test's own arguments
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustRunAdmin runs the command and requires it to succeed.
func mustRunAdmin(t *testing.T, verb, email, reason string) string {
	t.Helper()
	out, err := runAdmin(t, verb, email, reason)
	require.NoError(t, err, "admin %s %s: %s", verb, email, out)
	return out
}

// roleOf is the role an access token carries (its claims, read without checking the
// signature: the API checks it).
func roleOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "a JWT")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims struct {
		Role string `json:"role"`
	}
	require.NoError(t, json.Unmarshal(payload, &claims))
	return claims.Role
}

// storedRole is the role GET /v1/me reads from the account.
func storedRole(t *testing.T, token string) string {
	t.Helper()
	me := do(t, call{method: "GET", path: "/v1/me", token: token})
	require.Equal(t, http.StatusOK, me.Status, "%s", me.Body)
	return me.JSON(t)["role"].(string)
}

func refreshed(t *testing.T, refreshToken string) reply {
	t.Helper()
	return do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": refreshToken}})
}

// TestAdminsByGrant: a grant makes a user's next login and next refresh admin; a revoke
// stops every token they hold (within the authorizer's cache TTL), refuses their refresh
// tokens, and their next login is a user's again. Each change applied twice is answered
// "no change"; each change made is in the account's audit trail.
func TestAdminsByGrant(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "grant")
	before := sessionOf(t, a.Email, "laptop", nil).JSON(t)
	forbidden := do(t, call{method: "GET", path: "/v1/admin/audit", token: a.Token})
	require.Equal(t, http.StatusForbidden, forbidden.Status, "%s", forbidden.Body)

	out := mustRunAdmin(t, "grant", strings.ToUpper(a.Email), "integration test: on call")
	assert.Contains(t, out, "is now admin")
	out = mustRunAdmin(t, "grant", a.Email, "integration test: again")
	assert.Contains(t, out, "is admin already: no change, no audit record")

	assert.Equal(t, "admin", storedRole(t, a.Token))
	old := do(t, call{method: "GET", path: "/v1/admin/ledger/check", token: a.Token})
	assert.Equal(t, http.StatusForbidden, old.Status, "a token issued before the grant keeps its role until it is refreshed: %s", old.Body)
	r := refreshed(t, before["refresh_token"].(string))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	refreshedAdmin := r.JSON(t)
	assert.Equal(t, "admin", roleOf(t, refreshedAdmin["access_token"].(string)), "a refresh reads the role again")
	adminTok := login(t, a.Email, testPassword)
	assert.Equal(t, "admin", roleOf(t, adminTok), "the next login is an admin's")
	check := do(t, call{method: "GET", path: "/v1/admin/ledger/check", token: adminTok})
	assert.Equal(t, http.StatusOK, check.Status, "an admin route: %s", check.Body)

	out = mustRunAdmin(t, "revoke", a.Email, "integration test: off call")
	assert.Contains(t, out, "is now user; ")
	assert.NotContains(t, out, "; 0 active session(s) ended", "the admin's sessions were ended")
	out = mustRunAdmin(t, "revoke", a.Email, "integration test: again")
	assert.Contains(t, out, "is user already: no change, no audit record")
	assert.Contains(t, out, "; 0 active session(s) ended", "nothing left to end")

	requireTokenStops(t, adminTok)
	requireTokenStops(t, refreshedAdmin["access_token"].(string))
	requireTokenStops(t, a.Token)
	r = refreshed(t, refreshedAdmin["refresh_token"].(string))
	require.Equal(t, http.StatusUnauthorized, r.Status, "no admin token out of a session the revoke ended: %s", r.Body)
	assert.Equal(t, "invalid_refresh_token", r.ErrorCode())
	userTok := login(t, a.Email, testPassword)
	assert.Equal(t, "user", roleOf(t, userTok), "the next login is a user's")
	assert.Equal(t, "user", storedRole(t, userTok))
	again := do(t, call{method: "GET", path: "/v1/admin/ledger/check", token: userTok})
	require.Equal(t, http.StatusForbidden, again.Status, "%s", again.Body)
	assert.Equal(t, "forbidden", again.ErrorCode())

	records := auditOf(t, a.ID)
	require.Len(t, records, 2, "one record per change made, none for the no-ops: %v", records)
	for i, want := range []struct{ action, reason, from, to string }{
		{"user.revoke_admin", "integration test: off call", "admin", "user"},
		{"user.grant_admin", "integration test: on call", "user", "admin"},
	} {
		rec := records[i]
		assert.Equal(t, want.action, rec.Action)
		assert.Equal(t, "user", rec.TargetType)
		assert.Equal(t, a.ID, rec.TargetID)
		assert.Equal(t, want.reason, rec.Reason)
		assert.True(t, strings.HasPrefix(rec.ActorID, "operator:"), "the operator: %s", rec.ActorID)
		assert.JSONEq(t, `{"role":"`+want.from+`"}`, string(rec.Before))
		assert.JSONEq(t, `{"role":"`+want.to+`"}`, string(rec.After))
	}
}

// TestGrantRefusals: the role goes only to an account whose owner verified its address,
// and never to an address nobody has; a refused grant changes nothing.
func TestGrantRefusals(t *testing.T) {
	t.Parallel()
	u := signupUnverified(t, "grant-unverified")
	tests := []struct {
		name, email, want string
	}{
		{"an unverified account", u.Email, "email_not_verified"},
		{"an unknown address", newEmail("grant-nobody"), "user_not_found"},
		{"a malformed address", "not-an-address", "invalid_email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runAdmin(t, "grant", tt.email, "integration test")
			require.Error(t, err, "%s", out)
			assert.Contains(t, out, tt.want)
		})
	}
	assert.Equal(t, "user", storedRole(t, u.Token))
	assert.Empty(t, auditOf(t, u.ID), "a refused grant records nothing")
}

// TestAccountLookup: an admin looks an account up by email (trimmed, any case): the
// user, their wallets and active sessions, no secret; an unknown address is 404; a user
// is refused. Each look-up, found or not, is in the audit trail.
func TestAccountLookup(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "lookup")
	w := createWallet(t, a.Token, "EUR")
	lookUp := func(token, email string) reply {
		return do(t, call{method: "GET", path: "/v1/admin/users?email=" + url.QueryEscape(email), token: token})
	}

	r := lookUp(adminToken(t), " "+strings.ToUpper(a.Email)+" ")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var found struct {
		User     map[string]any   `json:"user"`
		Wallets  []walletView     `json:"wallets"`
		Sessions []map[string]any `json:"sessions"`
	}
	decode(t, r, &found)
	assert.Equal(t, a.ID, found.User["id"])
	assert.Equal(t, a.Email, found.User["email"])
	assert.Equal(t, "user", found.User["role"])
	require.Len(t, found.Wallets, 1)
	assert.Equal(t, w.ID, found.Wallets[0].ID)
	assert.NotEmpty(t, found.Sessions, "the login's session")
	for _, secret := range []string{"password", "hash", "refresh"} {
		assert.NotContains(t, string(r.Body), secret)
	}

	unknown := newEmail("lookup-nobody")
	r = lookUp(adminToken(t), unknown)
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
	assert.Equal(t, "user_not_found", r.ErrorCode())
	r = lookUp(a.Token, a.Email)
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "forbidden", r.ErrorCode())
	r = lookUp(adminToken(t), "not-an-address")
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Equal(t, "invalid_email", r.ErrorCode())

	me := do(t, call{method: "GET", path: "/v1/me", token: adminToken(t)})
	require.Equal(t, http.StatusOK, me.Status)
	records := auditOf(t, a.ID)
	require.Len(t, records, 1, "the found look-up, not the user's refused one: %v", records)
	assert.Equal(t, "user.lookup", records[0].Action)
	assert.Equal(t, me.JSON(t)["id"], records[0].ActorID, "who looked")
	assert.JSONEq(t, fmt.Sprintf(`{"email":%q,"found":true,"wallets":1,"sessions":%d}`, a.Email, len(found.Sessions)), string(records[0].After))

	var page struct {
		Items []map[string]any `json:"items"`
	}
	require.NoError(t, pollUntil(time.Now().Add(10*time.Second), 200*time.Millisecond, func() (bool, error) {
		if err := getJSON(adminToken(t), "/v1/admin/audit?limit=100", &page); err != nil {
			return false, err
		}
		for _, rec := range page.Items {
			if rec["target_type"] == "email" && rec["target_id"] == unknown {
				return true, nil
			}
		}
		return false, nil
	}), "the unknown address's look-up is in the trail")
}

// TestSignupIsNeverAdmin: no address signs up as an admin (the deployed sign-up function
// has no list of admin addresses any more), not even the local operator's kind.
func TestSignupIsNeverAdmin(t *testing.T) {
	t.Parallel()
	email := "admin-" + runID + "@wallet.local"
	r := do(t, call{method: "POST", path: "/v1/auth/signup", body: map[string]string{"email": email, "password": testPassword, "name": "Admin"}})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	tok := login(t, email, testPassword)
	assert.Equal(t, "user", roleOf(t, tok))
	assert.Equal(t, "user", storedRole(t, tok))

	cfg, err := lambda.NewFromConfig(awsConfig(t)).GetFunctionConfiguration(context.Background(),
		&lambda.GetFunctionConfigurationInput{FunctionName: aws.String(deployedFunction(t, "SignupFunction"))})
	require.NoError(t, err)
	require.NotNil(t, cfg.Environment)
	assert.NotContains(t, cfg.Environment.Variables, "ADMIN_EMAILS")
}
