package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/serverless-wallet/wallet/internal/retry"
)

func TestConflicts(t *testing.T) {
	other := errors.New("throttled")
	tests := map[string]struct {
		conflicts    int   // how many attempts lose a race before fn answers final
		final        error // what fn answers after that
		wantErr      error
		wantAttempts int
	}{
		"first attempt succeeds":            {conflicts: 0, wantAttempts: 1},
		"succeeds after three lost races":   {conflicts: 3, wantAttempts: 4},
		"another error is returned at once": {conflicts: 1, final: other, wantErr: other, wantAttempts: 2},
		"gives up after AttemptsMax":        {conflicts: 1_000, wantErr: retry.ErrContention, wantAttempts: retry.AttemptsMax},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			attempts := 0
			err := retry.Conflicts(context.Background(), func(attempt int) error {
				attempts++
				assert.Equal(t, attempts, attempt, "attempts are numbered from 1")
				if attempt <= tt.conflicts {
					return retry.ErrConflict
				}
				return tt.final
			})
			assert.Equal(t, tt.wantAttempts, attempts)
			if tt.wantErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.wantErr)
			}
		})
	}
}

// TestConflictsStopsWithinItsBudget: with a deadline, retries stop after about half
// of the time that was left, well before the deadline, with ErrContention.
func TestConflictsStopsWithinItsBudget(t *testing.T) {
	const leftMs = 2_000
	ctx, cancel := context.WithTimeout(context.Background(), leftMs*time.Millisecond)
	defer cancel()
	attempts := 0
	err := retry.Conflicts(ctx, func(int) error {
		attempts++
		time.Sleep(5 * time.Millisecond) // every attempt costs something
		return retry.ErrConflict
	})
	assert.ErrorIs(t, err, retry.ErrContention)
	assert.NoError(t, ctx.Err(), "it answered before the deadline")
	assert.Less(t, attempts, retry.AttemptsMax, "the time budget, not the attempt bound, ended it")
	dl, _ := ctx.Deadline()
	assert.Greater(t, time.Until(dl), leftMs/4*time.Millisecond, "a good part of the time is left to answer")
}

func TestContentionIsAConflictWithRetryAfter(t *testing.T) {
	assert.Equal(t, "contention", retry.ErrContention.Code)
	assert.Positive(t, retry.ErrContention.RetryAfterSeconds)
}
