package user

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// TestLoginChecksAtMostThePolicysGuessesAtOnce sends 50 wrong guesses at once: each takes
// its failure slot before the hash, so no more passwords are checked than the policy's
// failures, and the rest are refused unchecked.
func TestLoginChecksAtMostThePolicysGuessesAtOnce(t *testing.T) {
	s, _, _, _, _ := newGuardedService(t)
	ctx := context.Background()
	_, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
	require.NoError(t, err)
	var checked atomic.Int64
	s.verify = func(pw, hash string) (bool, error) { checked.Add(1); return auth.VerifyPassword(pw, hash) }

	const guesses = 50
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range guesses {
		wg.Go(func() {
			_, err := s.Login(ctx, LoginInput{Email: "ada@example.com", Password: "not the password"})
			if p, ok := problem.As(err); ok && p.Kind == problem.KindRateLimited {
				refused.Add(1)
				return
			}
			assert.ErrorIs(t, err, ErrInvalidCredentials)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, checked.Load(), testPolicy.FailuresMax)
	assert.Equal(t, int64(guesses)-checked.Load(), refused.Load(), "every guess not checked was refused")
}
