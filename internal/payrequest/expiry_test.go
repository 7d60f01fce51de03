package payrequest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/retry"
)

// sweepStore is a Store whose expiry index is pages of due requests; each request's
// move answers the outcomes listed for it in turn (then "expired").
type sweepStore struct {
	Store    // the rest is not used by the sweep
	pages    [][]Due
	pageErr  error
	mu       sync.Mutex
	outcomes map[string][]error // nil: expired; errMovedOn: not moved; else the error
	moves    map[string]int
	nows     []time.Time
}

var errMovedOn = errors.New("moved on")

func (s *sweepStore) DueRequests(_ context.Context, now time.Time, _ int, after string) ([]Due, string, error) {
	s.nows = append(s.nows, now)
	if s.pageErr != nil && after != "" {
		return nil, "", s.pageErr
	}
	i := 0
	if after != "" {
		i = int(after[0] - '0')
	}
	next := ""
	if i+1 < len(s.pages) {
		next = string(rune('0' + i + 1))
	}
	return s.pages[i], next, nil
}

func (s *sweepStore) ExpireRequest(_ context.Context, d Due, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.moves[d.ID]
	s.moves[d.ID]++
	if n < len(s.outcomes[d.ID]) {
		switch err := s.outcomes[d.ID][n]; {
		case errors.Is(err, errMovedOn):
			return false, nil
		case err != nil:
			return false, err
		}
	}
	return true, nil
}

// TestExpireRequests: the sweep walks every page of the index, counts the requests it
// moved (not those that moved on), decides a lost race again, and reports a request it
// cannot move without stopping; a page it cannot read ends the run with what it did.
func TestExpireRequests(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	due := func(ids ...string) []Due {
		out := make([]Due, len(ids))
		for i, id := range ids {
			out[i] = Due{ID: id, ExpiresAt: now.Add(-time.Minute)}
		}
		return out
	}
	broken := errors.New("throttled")
	tests := []struct {
		name     string
		pages    [][]Due
		pageErr  error
		outcomes map[string][]error
		want     int
		wantErr  error
		moves    map[string]int
	}{
		{"every page", [][]Due{due("a", "b"), due("c")}, nil, nil, 3, nil, map[string]int{"a": 1, "b": 1, "c": 1}},
		{"nothing due", [][]Due{nil}, nil, nil, 0, nil, map[string]int{}},
		{"one moved on", [][]Due{due("a", "b")}, nil, map[string][]error{"a": {errMovedOn}}, 1, nil, map[string]int{"a": 1, "b": 1}},
		{"a lost race is decided again", [][]Due{due("a")}, nil, map[string][]error{"a": {retry.ErrConflict}}, 1, nil, map[string]int{"a": 2}},
		{"one fails, the rest go on", [][]Due{due("a"), due("b")}, nil, map[string][]error{"a": {broken}}, 1, broken, map[string]int{"a": 1, "b": 1}},
		{"a page fails", [][]Due{due("a"), due("b")}, broken, nil, 1, broken, map[string]int{"a": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &sweepStore{pages: tt.pages, pageErr: tt.pageErr, outcomes: tt.outcomes, moves: map[string]int{}}
			s := &Service{Store: store, Now: func() time.Time { return now }}
			n, err := s.ExpireRequests(context.Background())
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Equal(t, tt.want, n)
			assert.Equal(t, tt.moves, store.moves)
			for _, at := range store.nows {
				assert.Equal(t, now, at, "the index is read at the sweep's now")
			}
		})
	}
}
