//go:build integration

package integration

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/deploy"
)

// The gateway checks each validated operation's request against the API document
// before any function runs: a malformed body is 400 invalid_body and a missing
// Idempotency-Key 400 invalid_parameters, both in the API's error shape. No function
// answered them: the functions' answers carry RateLimit-* headers, these do not.
func TestGatewayRefusesMalformedRequestsAtTheDoor(t *testing.T) {
	doc, err := os.ReadFile("../../api/openapi.yaml")
	require.NoError(t, err)
	rv, err := deploy.ReadRequestValidation(doc)
	require.NoError(t, err)
	require.NotEmpty(t, rv.Methods)
	acct := signupAndLogin(t, "door")

	malformed := []struct{ name, body string }{
		{"not JSON", `{"amount": 5`},
		{"an array", `[]`},
		{"only an unknown field", `{"surprise": true}`},
		{"a string where a number or object belongs", `{"amount": "5", "points": "5", "status": 7, "currency": 7, "email": 7}`},
	}
	for _, m := range rv.Methods {
		path := strings.NewReplacer("{id}", uuid.NewString()).Replace(m.Path)
		v := rv.Validators[m.Validator]
		if v.Body {
			for _, b := range malformed {
				t.Run(m.Method+" "+m.Path+" "+b.name, func(t *testing.T) {
					r := do(t, call{method: m.Method, path: path, token: acct.Token, body: b.body, once: true,
						headers: map[string]string{"Idempotency-Key": uuid.NewString()}})
					assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
					assert.Equal(t, "invalid_body", r.ErrorCode(), "%s", r.Body)
					assert.NotEmpty(t, r.ErrorMessage())
					assert.Empty(t, r.Header.Get("RateLimit-Limit"), "a function answered: %s", r.Body)
				})
			}
		}
		if v.Parameters && m.Required["method.request.header.Idempotency-Key"] {
			t.Run(m.Method+" "+m.Path+" without Idempotency-Key", func(t *testing.T) {
				r := do(t, call{method: m.Method, path: path, token: acct.Token, body: `{}`, once: true})
				assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
				assert.Equal(t, "invalid_parameters", r.ErrorCode(), "%s", r.Body)
				assert.Contains(t, r.ErrorMessage(), "Idempotency-Key")
				assert.Empty(t, r.Header.Get("RateLimit-Limit"), "a function answered: %s", r.Body)
			})
		}
	}

	t.Run("a refused credit changes nothing, the same credit well formed is posted", func(t *testing.T) {
		w := createWallet(t, acct.Token, "EUR")
		key := uuid.NewString()
		r := do(t, call{method: "POST", path: "/v1/wallets/" + w.ID + "/credits", token: acct.Token, once: true,
			body: `{"amount": 500, "memo": "not a field"}`, headers: map[string]string{"Idempotency-Key": key}})
		require.Equal(t, "invalid_body", r.ErrorCode(), "%s", r.Body)
		assert.Zero(t, getWallet(t, acct.Token, w.ID).Balance)

		r = credit(t, acct.Token, w.ID, key, 500)
		assert.Equal(t, http.StatusCreated, r.Status, "the key is still free: %s", r.Body)
		assert.Equal(t, int64(500), getWallet(t, acct.Token, w.ID).Balance)
	})
}
