package memstore

import (
	"context"
	"errors"
	"maps"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// openShards opens w's receive shards, empty, with w's status; the caller holds s.mu.
func (s *Store) openShards(w ledger.Wallet) {
	for k := 1; k <= w.ReceiveShards; k++ {
		s.Shards[ledger.ShardKey(w.ID, k)] = ledger.Wallet{ID: w.ID, OwnerID: w.OwnerID, Currency: w.Currency, Status: w.Status}
	}
}

// shardsOf is w's receive shards as stored; the caller holds s.mu.
func (s *Store) shardsOf(w ledger.Wallet) []ledger.Shard {
	shards := make([]ledger.Shard, 0, w.ReceiveShards)
	for k := 1; k <= w.ReceiveShards; k++ {
		if sh, ok := s.Shards[ledger.ShardKey(w.ID, k)]; ok {
			shards = append(shards, ledger.Shard{WalletID: w.ID, Number: k, Currency: sh.Currency, BalanceMinor: sh.BalanceMinor,
				EntryCount: sh.EntryCount, Status: sh.Status})
		}
	}
	return shards
}

// setShardStatus gives w's shards its status, as the DynamoDB store's status
// transaction does; the caller holds s.mu.
func (s *Store) setShardStatus(w ledger.Wallet) {
	for k := 1; k <= w.ReceiveShards; k++ {
		key := ledger.ShardKey(w.ID, k)
		sh := s.Shards[key]
		sh.Status = w.Status
		s.Shards[key] = sh
	}
}

// applySweeping applies deltas on the wallets and shards, all or nothing; a debit the
// wallet item cannot pay while its shards can is applied once more after a sweep, as
// the DynamoDB store does. The caller holds s.mu.
func (s *Store) applySweeping(deltas []ledger.Delta, posting *ledger.Posting) error {
	err := s.applyAll(deltas, posting)
	if !errors.Is(err, ledger.ErrInsufficientFunds) {
		return err
	}
	var moved int64
	for _, d := range deltas {
		if w, ok := s.Wallets[d.WalletID]; ok && d.Shard == 0 && w.ReceiveShards > 0 {
			moved += s.sweep(w)
		}
	}
	if moved == 0 {
		return err
	}
	return s.applyAll(deltas, posting)
}

func (s *Store) applyAll(deltas []ledger.Delta, posting *ledger.Posting) error {
	all := maps.Clone(s.Wallets)
	maps.Copy(all, s.Shards)
	if err := ledger.ApplyAll(all, deltas, posting); err != nil {
		return err
	}
	for _, d := range deltas {
		if d.Shard == 0 {
			s.Wallets[d.WalletID] = all[d.WalletID]
		} else {
			s.Shards[d.Target()] = all[d.Target()]
		}
	}
	return nil
}

// sweep moves what w's shards hold onto w; the caller holds s.mu.
func (s *Store) sweep(w ledger.Wallet) int64 {
	var moved int64
	for k := 1; k <= w.ReceiveShards; k++ {
		key := ledger.ShardKey(w.ID, k)
		sh := s.Shards[key]
		moved += sh.BalanceMinor
		sh.BalanceMinor = 0
		s.Shards[key] = sh
	}
	w.BalanceMinor += moved
	s.Wallets[w.ID] = w
	return moved
}

// SweepShards moves what a wallet's receive shards hold onto the wallet item and
// returns the amount, as the DynamoDB store's sweep does.
func (s *Store) SweepShards(_ context.Context, walletID string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.Wallets[walletID]
	if !ok {
		return 0, problem.ErrNotFound
	}
	return s.sweep(w), nil
}
