// Package idemtest has a small in-memory idempotency.Store for unit tests: Begin
// answers with the configured replay or error and records every claim.
package idemtest

import (
	"context"
	"sync"
	"time"

	"github.com/serverless-wallet/wallet/internal/idempotency"
)

// Store records claims; Begin answers with Replay and BeginErr.
type Store struct {
	mu       sync.Mutex
	Replay   *idempotency.Response
	BeginErr error
	begun    []idempotency.Claim
	released []idempotency.Claim
}

var _ idempotency.Store = (*Store)(nil)

// Begin implements idempotency.Store.
func (s *Store) Begin(_ context.Context, c idempotency.Claim, _ time.Time) (*idempotency.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.begun = append(s.begun, c)
	return s.Replay, s.BeginErr
}

// Release implements idempotency.Store.
func (s *Store) Release(_ context.Context, c idempotency.Claim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = append(s.released, c)
	return nil
}

// Begun returns the claims Begin saw.
func (s *Store) Begun() []idempotency.Claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]idempotency.Claim(nil), s.begun...)
}

// Released returns the claims Release saw.
func (s *Store) Released() []idempotency.Claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]idempotency.Claim(nil), s.released...)
}
