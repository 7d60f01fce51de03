//go:build integration

package integration

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ratelimit"
)

// parallelGuesses is how many wrong passwords TestLoginLockoutHoldsUnderParallelGuesses
// sends at once.
const parallelGuesses = 50

// TestLoginLockoutHoldsUnderParallelGuesses sends 50 wrong passwords for one account at
// once: a failure slot is taken before any password is hashed, so at most the policy's
// failures are checked (401 invalid_credentials) and every other guess is refused (429)
// without being looked at, for a known and an unknown email alike.
func TestLoginLockoutHoldsUnderParallelGuesses(t *testing.T) {
	failuresMax, err := strconv.Atoi(stackOutputs(t)["LoginFailuresMax"])
	require.NoError(t, err)
	known := signupAndLogin(t, "lockout-parallel")
	tests := []struct {
		name  string
		email string
	}{
		{"known email", known.Email},
		{"unknown email", newEmail("lockout-parallel-nobody")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One window of the per-caller login limit to itself, so the limit refuses as
			// few guesses as it can and most reach the lock-out.
			waitForWindowStart(deployedLimits(t)[ratelimit.ClassLogin].Window)
			replies := burst(t, call{method: "POST", path: "/v1/auth/login",
				body: map[string]string{"email": tt.email, "password": "not the password at all"}}, parallelGuesses, parallelGuesses)
			checked, refused := 0, 0
			for _, r := range replies {
				switch r.Status {
				case http.StatusUnauthorized:
					require.Equal(t, "invalid_credentials", r.ErrorCode())
					checked++
				case http.StatusTooManyRequests:
					require.Equal(t, "rate_limited", r.ErrorCode())
					refused++
				default:
					require.Failf(t, "unexpected answer", "%d: %s", r.Status, r.Body)
				}
			}
			t.Logf("%d parallel wrong guesses: %d passwords checked, %d refused unchecked", parallelGuesses, checked, refused)
			assert.LessOrEqual(t, checked, failuresMax, "passwords checked under a %d-failure policy", failuresMax)
			assert.Positive(t, checked, "the first guesses are checked")
		})
	}
}
