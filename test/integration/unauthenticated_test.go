//go:build integration

package integration

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// protectedOperation is an operation of api/openapi.yaml that needs a token.
type protectedOperation struct{ method, path string }

var httpMethods = map[string]bool{"get": true, "post": true, "put": true, "patch": true, "delete": true}

// protectedOperations reads every implemented operation that is not public.
func protectedOperations(t *testing.T) []protectedOperation {
	t.Helper()
	b, err := os.ReadFile("../../api/openapi.yaml")
	require.NoError(t, err)
	type op struct {
		Security    *[]map[string][]string `yaml:"security"`
		Implemented *bool                  `yaml:"x-implemented"`
	}
	var doc struct {
		Security []map[string][]string     `yaml:"security"`
		Paths    map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	require.NotEmpty(t, doc.Security, "the document's default is a bearer token")
	var ops []protectedOperation
	for path, item := range doc.Paths {
		for method, raw := range item {
			if !httpMethods[method] {
				continue
			}
			enc, err := yaml.Marshal(raw)
			require.NoError(t, err)
			var o op
			require.NoError(t, yaml.Unmarshal(enc, &o))
			if (o.Implemented != nil && !*o.Implemented) || (o.Security != nil && len(*o.Security) == 0) {
				continue
			}
			ops = append(ops, protectedOperation{method: strings.ToUpper(method), path: path})
		}
	}
	return ops
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// signingKey reads the deployment's current signing key and its id (the tokens' kid)
// the way an operator would, from Secrets Manager.
func signingKey(t *testing.T) ([]byte, string) {
	t.Helper()
	sm := secretsmanager.NewFromConfig(awsConfig(t))
	sec, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(stackOutputs(t)["SigningKeySecretArn"])})
	require.NoError(t, err)
	return []byte(aws.ToString(sec.SecretString)), aws.ToString(sec.VersionId)
}

// expiredToken signs a token that is right in every way but its expiry, with the
// deployment's current key.
func expiredToken(t *testing.T) string {
	t.Helper()
	out := stackOutputs(t)
	key, kid := signingKey(t)
	issued := time.Now().Add(-time.Hour)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": out["TokenIssuer"], "aud": out["TokenAudience"], "sub": uuid.NewString(), "role": "admin",
		"iat": issued.Unix(), "nbf": issued.Unix(), "exp": issued.Add(15 * time.Minute).Unix(), "jti": uuid.NewString(),
	})
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	require.NoError(t, err)
	return signed
}

// TestEveryProtectedOperationRefusesAnonymousCalls walks api/openapi.yaml: every
// operation that is not public answers 401 with the API's error body to a call without a
// token, with a malformed one, with one signed by another key and with an expired one,
// before looking at anything else the request carries (here: no body at all). The
// refusal comes from the gateway (its UNAUTHORIZED response, with WWW-Authenticate), not
// from a function: every function's answer carries the RateLimit-* headers of the
// per-caller limiter, and none of these does.
func TestEveryProtectedOperationRefusesAnonymousCalls(t *testing.T) {
	ops := protectedOperations(t)
	require.NotEmpty(t, ops)
	forged := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": uuid.NewString(), "role": "admin",
		"exp": time.Now().Add(time.Hour).Unix()})
	forgedToken, err := forged.SignedString([]byte("not the deployment's key, not the deployment's key"))
	require.NoError(t, err)
	tokens := []struct {
		name, header, code string
	}{
		{"no token", "", "unauthenticated"},
		{"malformed", "Bearer not.a.jwt", "unauthenticated"},
		{"not bearer", "Basic dXNlcjpwYXNz", "unauthenticated"},
		{"forged", "Bearer " + forgedToken, "unauthenticated"},
		{"expired", "Bearer " + expiredToken(t), "unauthenticated"},
	}
	for _, op := range ops {
		path := pathParam.ReplaceAllString(op.path, uuid.NewString())
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			for _, tok := range tokens {
				c := call{method: op.method, path: path}
				if tok.header != "" {
					c.headers = map[string]string{"Authorization": tok.header}
				}
				r, err := send(c)
				require.NoError(t, err)
				assert.Equal(t, http.StatusUnauthorized, r.Status, "%s: %s", tok.name, r.Body)
				assert.Equal(t, tok.code, r.ErrorCode(), "%s", tok.name)
				assert.Equal(t, "Bearer", r.Header.Get("WWW-Authenticate"), "%s: the gateway's refusal", tok.name)
				assert.Regexp(t, `^[0-9a-f-]{16,}$`, r.Header.Get("X-Request-Id"), "%s: the gateway's answer names its request", tok.name)
				assert.Empty(t, r.Header.Get("RateLimit-Limit"), "%s: no function ran", tok.name)
			}
		})
	}
}

// TestGatewayAnswersInTheAPIsErrorShape: what API Gateway answers itself, before any
// function runs, has the API's error body too (the document's gateway responses).
func TestGatewayAnswersInTheAPIsErrorShape(t *testing.T) {
	tests := []struct {
		name      string
		c         call
		status    int
		code      string
		challenge bool
	}{
		{"no such path", call{method: "GET", path: "/v1/no-such-thing"}, http.StatusNotFound, "route_not_found", false},
		{"no such method", call{method: "DELETE", path: "/v1/health"}, http.StatusNotFound, "route_not_found", false},
		{"no token", call{method: "GET", path: "/v1/wallets"}, http.StatusUnauthorized, "unauthenticated", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.once = true
			r, err := send(tt.c)
			require.NoError(t, err)
			assert.Equal(t, tt.status, r.Status, "%s", r.Body)
			assert.Equal(t, tt.code, r.ErrorCode(), "%s", r.Body)
			assert.NotEmpty(t, r.ErrorMessage(), "%s", r.Body)
			if tt.challenge {
				assert.Equal(t, "Bearer", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}
