package memstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

// CreateTransfer writes a new transfer, or answers transfer.ErrExists when another
// request's transfer holds the id; the same transfer again is no error. It runs
// OnCreate first.
func (s *Store) CreateTransfer(_ context.Context, t transfer.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if race := s.OnCreate; race != nil {
		s.OnCreate = nil
		race(s)
	}
	if cur, exists := s.Transfers[t.ID]; exists {
		if cur.RequestHash != t.RequestHash || !cur.CreatedAt.Equal(t.CreatedAt) || cur.Version != 1 {
			return transfer.ErrExists
		}
	} else if t.RequestID != "" {
		if err := s.payRequest(t); err != nil {
			return err
		}
	}
	s.Transfers[t.ID] = clone(t)
	s.Indexed[t.ID]++
	return nil
}

// IndexTransfer counts a list-entry write.
func (s *Store) IndexTransfer(_ context.Context, t transfer.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Indexed[t.ID]++
	return nil
}

// WalletIDsOf is not used by the tests.
func (s *Store) WalletIDsOf(context.Context, string) ([]string, error) {
	return nil, errors.New("memstore: WalletIDsOf not used")
}

// TransfersOfWallets is not used by the tests.
func (s *Store) TransfersOfWallets(context.Context, []string, int, string) ([]transfer.Transfer, string, error) {
	return nil, "", errors.New("memstore: TransfersOfWallets not used")
}

// ExpiredHolds pages through Expired, recording the call. Like the DynamoDB index,
// whose keys hold whole seconds, it names a hold whose expiry falls in now's second
// or before (so up to a second early: the sweeper must check the expiry itself); an
// entry whose transfer is gone is named too.
func (s *Store) ExpiredHolds(_ context.Context, now time.Time, limit int, after string) ([]string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ExpiredAt, s.ExpiredLimit = now, limit
	s.ExpiredPages++
	pos := 0
	if after != "" {
		var err error
		if pos, err = strconv.Atoi(after); err != nil {
			return nil, "", err
		}
	}
	var ids []string
	for ; pos < len(s.Expired) && len(ids) < limit; pos++ {
		id := s.Expired[pos]
		if t, ok := s.Transfers[id]; ok && t.ExpiresAt.Unix() > now.Unix() {
			continue
		}
		ids = append(ids, id)
	}
	next := ""
	if pos < len(s.Expired) {
		next = strconv.Itoa(pos)
	}
	return ids, next, nil
}

// ForgetHold records a stale index entry the sweeper dropped.
func (s *Store) ForgetHold(_ context.Context, t transfer.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Forgotten = append(s.Forgotten, t.ID)
	return nil
}
