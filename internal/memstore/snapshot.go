package memstore

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// Snapshot is the whole store as the ledger check reads it: every wallet, every entry
// (with an opening posting for each balance New was given), the external accounts'
// balances (the sums of their entries: this store keeps no other), and every
// transfer's hold.
func (s *Store) Snapshot(context.Context) (ledger.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := ledger.Snapshot{ExternalBalances: map[string]int64{}}
	for _, w := range s.Wallets {
		if open, ok := s.opening[w.ID]; ok && open.BalanceMinor != 0 {
			funding := ledger.ExternalAccount(ledger.PurposeFunding, w.Currency)
			id := "opening-" + w.ID
			snap.Entries = append(snap.Entries,
				ledger.Entry{ID: id + ":0", PostingID: id, Account: w.ID, Currency: w.Currency, AmountMinor: open.BalanceMinor, Kind: ledger.KindCredit},
				ledger.Entry{ID: id + ":1", PostingID: id, Account: funding, Currency: w.Currency, AmountMinor: -open.BalanceMinor, Kind: ledger.KindCredit})
			snap.ExternalBalances[funding] -= open.BalanceMinor
			w.EntryCount++
		}
		snap.Wallets = append(snap.Wallets, w)
		snap.Shards = append(snap.Shards, s.shardsOf(w)...)
	}
	for _, p := range s.Postings {
		for _, e := range p.Entries {
			snap.Entries = append(snap.Entries, e)
			if _, isWallet := s.Wallets[e.Account]; !isWallet {
				snap.ExternalBalances[e.Account] += e.AmountMinor
			}
		}
	}
	for _, t := range s.Transfers {
		snap.Holds = append(snap.Holds, transfer.HoldFactsOf(t))
	}
	return snap, nil
}
