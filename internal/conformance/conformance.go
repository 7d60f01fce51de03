// Package conformance runs a store's conformance suite: each case on a fixture of its
// own, so that a fake and the real store are held to the same cases (see
// transfer/transfertest and wallet/wallettest).
package conformance

import (
	"testing"
	"time"
)

// Run runs every case as a subtest, each on a fresh fixture from newFixture.
func Run[F any](t *testing.T, cases map[string]func(t *testing.T, f F), newFixture func(t *testing.T) F) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { c(t, newFixture(t)) })
	}
}

// At is the instant the suites and their fixtures write at: fixed, so that a case can
// compare stored times exactly (and millisecond-exact, as the stores keep them).
var At = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
