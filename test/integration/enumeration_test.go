//go:build integration

package integration

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoAnswerTellsWhetherAnAddressHasAnAccount: sign-up, login and password reset
// answer an address with an account and one without with the same status and body (and
// the same header names). Their timing is measured, not asserted: make enum-timing
// (docs/SECURITY.md).
func TestNoAnswerTellsWhetherAnAddressHasAnAccount(t *testing.T) {
	t.Parallel()
	known := signupAndLogin(t, "enum")
	post := func(path string, body map[string]string) reply {
		return do(t, call{method: "POST", path: path, body: body})
	}
	tests := []struct {
		name       string
		path       string
		withAcct   map[string]string
		withoutAcc map[string]string
		status     int
	}{
		{"signup", "/v1/auth/signup",
			map[string]string{"email": known.Email, "password": testPassword, "name": "Eve"},
			map[string]string{"email": newEmail("enum-free"), "password": testPassword, "name": "Eve"}, http.StatusAccepted},
		{"login with a wrong password", "/v1/auth/login",
			map[string]string{"email": known.Email, "password": "not the password!!"},
			map[string]string{"email": newEmail("enum-nobody"), "password": "not the password!!"}, http.StatusUnauthorized},
		{"password reset", "/v1/auth/password-reset",
			map[string]string{"email": known.Email},
			map[string]string{"email": newEmail("enum-nobody")}, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			with, without := post(tt.path, tt.withAcct), post(tt.path, tt.withoutAcc)
			require.Equal(t, tt.status, with.Status, "%s", with.Body)
			assert.Equal(t, with.Status, without.Status)
			assert.Equal(t, string(with.Body), string(without.Body))
			assert.Equal(t, headerNames(with.Header), headerNames(without.Header))
		})
	}
}

func headerNames(h http.Header) map[string]bool {
	out := map[string]bool{}
	for k := range h {
		if k != "Date" && k != "Content-Length" {
			out[k] = true
		}
	}
	return out
}
