//go:build integration

package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ratelimit"
)

// unlistedOrigin is a site no stack lists in AllowedOrigins.
const unlistedOrigin = "https://evil.example"

// listedOrigin reads the origin the stack's gateway answers (the stage variable the
// template sets from AllowedOrigins' first entry); "" when the stack lists none.
func listedOrigin(t *testing.T) string {
	t.Helper()
	out := stackOutputs(t)
	st, err := apigateway.NewFromConfig(awsConfig(t)).GetStage(context.Background(), &apigateway.GetStageInput{
		RestApiId: aws.String(out["ApiId"]), StageName: aws.String(out["ApiStage"])})
	require.NoError(t, err)
	return st.Variables["corsOrigin"]
}

var corsHeaderNames = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
	"Access-Control-Expose-Headers", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"}

// TestCrossOriginCalls: a browser at the listed origin gets its preflight answered and
// can read every answer, the gateway's own refusals (401 from the authorizer, 400 from
// the validator) and the functions' (200, 429) alike; an unlisted origin is never
// named in an answer, and the functions send it no CORS header at all. scripts/deploy-local.sh
// lists one origin; with none listed (ALLOWED_ORIGINS= at deploy) the test checks that
// no answer carries a CORS header.
func TestCrossOriginCalls(t *testing.T) {
	origin := listedOrigin(t)
	a := signupAndLogin(t, "cors")

	type answer struct {
		name    string
		call    call
		status  int
		gateway bool // answered by API Gateway itself, not a function
	}
	answers := func(from string) []answer {
		h := map[string]string{"Origin": from}
		return []answer{
			{"200 from a function", call{method: "GET", path: "/v1/me", token: a.Token, headers: h}, http.StatusOK, false},
			{"401 from the authorizer", call{method: "GET", path: "/v1/me", headers: h}, http.StatusUnauthorized, true},
			{"400 from the validator", call{method: "POST", path: "/v1/auth/signup", body: "[]", headers: h}, http.StatusBadRequest, true},
		}
	}

	if origin == "" {
		t.Log("the stack lists no origin: no answer may carry a CORS header")
		pre := do(t, call{method: "OPTIONS", path: "/v1/me", headers: map[string]string{"Origin": unlistedOrigin, "Access-Control-Request-Method": "GET"}})
		for _, ans := range append(answers(unlistedOrigin), answer{name: "preflight", call: call{}, status: pre.Status}) {
			r := pre
			if ans.call.method != "" {
				r = do(t, ans.call)
			}
			for _, h := range append(corsHeaderNames, "Vary") {
				assert.Empty(t, r.Header.Get(h), "%s: %s", ans.name, h)
			}
		}
		return
	}

	t.Run("preflight from the listed origin", func(t *testing.T) {
		for _, path := range []string{"/v1/auth/login", "/v1/wallets/w-1/credits", "/v1/auth/sessions/s-1"} {
			r := do(t, call{method: "OPTIONS", path: path, headers: map[string]string{"Origin": origin,
				"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,idempotency-key,x-wallet-client"}})
			require.Equal(t, http.StatusNoContent, r.Status, "%s: %s", path, r.Body)
			assert.Equal(t, origin, r.Header.Get("Access-Control-Allow-Origin"), path)
			assert.Equal(t, "true", r.Header.Get("Access-Control-Allow-Credentials"), path)
			methods := strings.Split(r.Header.Get("Access-Control-Allow-Methods"), ",")
			assert.Subset(t, methods, []string{"GET", "POST", "PATCH", "DELETE"}, path)
			allowed := strings.Split(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), ",")
			assert.Subset(t, allowed, []string{"authorization", "content-type", "idempotency-key", "x-wallet-client"}, path)
			assert.NotEmpty(t, r.Header.Get("Access-Control-Max-Age"), path)
		}
	})

	t.Run("preflight from an unlisted origin names no other origin", func(t *testing.T) {
		r := do(t, call{method: "OPTIONS", path: "/v1/auth/login", headers: map[string]string{"Origin": unlistedOrigin, "Access-Control-Request-Method": "POST"}})
		assert.NotEqual(t, unlistedOrigin, r.Header.Get("Access-Control-Allow-Origin"))
		assert.NotEqual(t, "*", r.Header.Get("Access-Control-Allow-Origin"))
	})

	for _, ans := range answers(origin) {
		t.Run("listed origin: "+ans.name, func(t *testing.T) {
			r := do(t, ans.call)
			require.Equal(t, ans.status, r.Status, "%s", r.Body)
			assert.Equal(t, origin, r.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "true", r.Header.Get("Access-Control-Allow-Credentials"))
			exposed := strings.Split(r.Header.Get("Access-Control-Expose-Headers"), ",")
			assert.Subset(t, exposed, []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-Id"})
		})
	}
	for _, ans := range answers(unlistedOrigin) {
		t.Run("unlisted origin: "+ans.name, func(t *testing.T) {
			r := do(t, ans.call)
			require.Equal(t, ans.status, r.Status, "%s", r.Body)
			assert.NotEqual(t, unlistedOrigin, r.Header.Get("Access-Control-Allow-Origin"))
			if !ans.gateway { // a function names no origin at all; the gateway names the listed one (docs/SECURITY.md)
				for _, h := range corsHeaderNames {
					assert.Empty(t, r.Header.Get(h), h)
				}
				assert.Equal(t, "Origin", r.Header.Get("Vary"))
			}
		})
	}

	t.Run("a function's 429 is readable by the listed origin only", func(t *testing.T) {
		b := signupAndLogin(t, "cors429")
		writes := deployedLimits(t)[ratelimit.ClassWrite].Limit
		refused := map[string]reply{}
		for i := int64(0); i < 3*writes && len(refused) < 2; i++ {
			from := []string{origin, unlistedOrigin}[i%2]
			r := do(t, call{method: "POST", path: "/v1/notifications/read-all", token: b.Token, once: true, headers: map[string]string{"Origin": from}})
			if r.Status == http.StatusTooManyRequests {
				require.Equal(t, "rate_limited", r.ErrorCode())
				refused[from] = r
			}
		}
		require.Len(t, refused, 2, "a 429 for each origin in %d writes", 3*writes)
		listed, unlisted := refused[origin], refused[unlistedOrigin]
		assert.NotEmpty(t, listed.Header.Get("Retry-After"))
		assert.Equal(t, origin, listed.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, listed.Header.Get("Access-Control-Expose-Headers"), "Retry-After")
		assert.NotEmpty(t, unlisted.Header.Get("Retry-After"))
		for _, h := range corsHeaderNames {
			assert.Empty(t, unlisted.Header.Get(h), h)
		}
	})
}
