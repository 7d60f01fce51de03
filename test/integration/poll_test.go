//go:build integration

package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pollInterval is the pause between two looks at a condition.
const pollInterval = 200 * time.Millisecond

// pollUntil calls cond every interval until it reports done or fails (its error is
// returned), or the deadline passes (an error). It never fails a test, so goroutines may
// call it and hand the error back.
func pollUntil(deadline time.Time, interval time.Duration, cond func() (bool, error)) error {
	for {
		done, err := cond()
		if err != nil || done {
			return err
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("not done by %s", deadline.Format(time.TimeOnly))
		}
		time.Sleep(interval)
	}
}

// eventually asserts, on the test's goroutine, that cond holds before the deadline.
func eventually(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	require.NoError(t, pollUntil(deadline, pollInterval, func() (bool, error) { return cond(), nil }), what)
}

// consistently asserts that cond holds now and at every look for the whole window: a
// "nothing else happens" check that can see what happens late.
func consistently(t *testing.T, window time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(window)
	for {
		require.True(t, cond(), "%s: stopped holding within %s", what, window)
		if !time.Now().Before(end) {
			return
		}
		time.Sleep(pollInterval)
	}
}
