package memstore

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// WalletIn reads an owner's wallet in a currency (problem.ErrNotFound when none).
func (s *Store) WalletIn(_ context.Context, ownerID, currency string) (ledger.Wallet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Reads++
	for _, w := range s.Wallets {
		if w.OwnerID == ownerID && w.Currency == currency {
			return w, nil
		}
	}
	return ledger.Wallet{}, problem.ErrNotFound
}

// AddRequest stores a payment request, for the transfers that pay it.
func (s *Store) AddRequest(r payrequest.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Requests == nil {
		s.Requests = map[string]payrequest.Request{}
	}
	s.Requests[r.ID] = r
}

// payRequest moves a transfer's payment request to PAYING by it, under the DynamoDB
// store's condition (open at the transfer's creation); the caller holds s.mu.
func (s *Store) payRequest(t transfer.Transfer) error {
	r, ok := s.Requests[t.RequestID]
	if !ok {
		return problem.ErrNotFound
	}
	if _, err := payrequest.Next(r, payrequest.ActionPay, t.CreatedAt); err != nil {
		return err
	}
	r.Status, r.TransferID, r.PayerID, r.UpdatedAt = payrequest.StatusPaying, t.ID, t.SourceOwnerID, t.CreatedAt
	r.Version++
	s.Requests[r.ID] = r
	return nil
}

// moveRequest checks and applies a change's move of its payment request (see
// transfer.Change.RequestMove); the caller holds s.mu. It returns the apply step, so
// nothing is written when a later check of the change refuses.
func (s *Store) moveRequest(c transfer.Change) (func(), error) {
	m := c.RequestMove()
	if m == nil {
		return func() {}, nil
	}
	r, ok := s.Requests[m.RequestID]
	if !ok || r.Status != payrequest.StatusPaying || r.TransferID != m.TransferID {
		return nil, retry.ErrConflict
	}
	a := payrequest.ActionReopen
	if m.Paid {
		a = payrequest.ActionSettle
	}
	to, err := payrequest.Next(r, a, c.After.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return func() {
		r.Status, r.UpdatedAt = to, c.After.UpdatedAt
		if !m.Paid {
			r.TransferID, r.PayerID = "", ""
		}
		r.Version++
		s.Requests[r.ID] = r
	}, nil
}
