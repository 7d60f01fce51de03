package ledger

import (
	"fmt"
	"sort"
)

// Snapshot is the whole ledger as read for a check.
type Snapshot struct {
	Wallets          []Wallet         // each wallet item as stored, without its shards
	Shards           []Shard          // every receive shard, each counted into its wallet
	Entries          []Entry          // every entry, on wallets and external accounts
	ExternalBalances map[string]int64 // external account id → stored balance
	Holds            []HoldFacts      // every transfer's hold, for the hold rules
	Problems         []string         // inconsistencies the store found while reading
}

// HoldFacts is what Check needs of a transfer: the hold it placed on its source wallet
// and what became of it (the transfer's step flags, written in the same transaction as
// the money they describe).
type HoldFacts struct {
	TransferID   string
	WalletID     string // the source, where the hold is
	HoldMinor    int64  // the amount reserved
	CaptureMinor int64  // what its posting moves, once posted
	PostingID    string // the id of the posting that settles it
	Reserved     bool
	Released     bool
	Posted       bool
	// Refunds: on a refund, the transfer it refunds; on a refunded transfer, the total
	// and the ids its refunds' posts counted on it.
	RefundOf      string
	RefundedMinor int64
	RefundIDs     []string
}

// Open reports whether the hold still reserves money on its wallet.
func (h HoldFacts) Open() bool { return h.Reserved && !h.Released && !h.Posted }

// Report is the outcome of Check.
type Report struct {
	OK              bool     `json:"ok"`
	WalletsChecked  int      `json:"wallets_checked"`
	PostingsChecked int      `json:"postings_checked"`
	EntriesChecked  int      `json:"entries_checked"`
	Violations      []string `json:"violations"`
}

// violationsShownMax bounds the report.
const violationsShownMax = 100

// Check verifies the ledger's invariants on a snapshot taken while no money moves:
//   - every wallet: balance = sum of its entries, as many entries as its entry_count,
//     held ≥ 0 and available = balance − held ≥ 0; a wallet with receive shards counts
//     them in (its balance and entry_count are the item's plus its shards', wherever
//     its entries are), and each shard has a balance ≥ 0 and its wallet's status;
//   - every posting sums to zero;
//   - every external account's stored balance = sum of its entries;
//   - per currency, wallet balances plus external balances sum to zero;
//   - every wallet's held = the sum of its open holds;
//   - no hold is both posted and released, and none is posted or released unreserved;
//   - every transfer posting moves, out of the source, the captured amount of a posted
//     hold of at least that amount, and every posted hold has its posting;
//   - every refunded transfer's refunded total is the sum of the posted refunds it
//     lists, at most what it moved, and every posted refund is listed on it once.
func Check(s Snapshot) Report {
	c := checker{r: Report{Violations: []string{}}, byAccount: map[string][]Entry{}, byPosting: map[string][]Entry{},
		total: map[string]int64{}, openHeld: map[string]int64{}, shards: map[string][]Shard{}}
	for _, sh := range s.Shards {
		c.shards[sh.WalletID] = append(c.shards[sh.WalletID], sh)
	}
	holdByPosting := c.holds(s.Holds)
	c.refunds(s.Holds)
	for _, p := range s.Problems {
		c.add("%s", p)
	}
	for _, e := range s.Entries {
		c.byAccount[e.Account] = append(c.byAccount[e.Account], e)
		c.byPosting[e.PostingID] = append(c.byPosting[e.PostingID], e)
	}
	c.r.EntriesChecked = len(s.Entries)
	for _, w := range s.Wallets {
		c.wallet(w)
	}
	for _, id := range sortedKeys(c.shards) { // what no wallet claimed
		c.add("wallet %s: %d receive shards but no wallet", id, len(c.shards[id]))
	}
	c.externals(s.ExternalBalances)
	for _, a := range sortedKeys(c.byAccount) { // what no wallet or external balance claimed
		c.add("account %s: %d entries but no wallet or external balance", a, len(c.byAccount[a]))
	}
	for _, id := range sortedKeys(c.byPosting) {
		c.posting(id, c.byPosting[id])
		c.settles(id, c.byPosting[id], holdByPosting)
	}
	for _, id := range sortedKeys(holdByPosting) {
		if h := holdByPosting[id]; h.Posted && len(c.byPosting[id]) == 0 {
			c.add("transfer %s: posted, but its posting %s is missing", h.TransferID, id)
		}
	}
	for _, cur := range sortedKeys(c.total) {
		if c.total[cur] != 0 {
			c.add("%s: wallets and external accounts sum to %d, want 0", cur, c.total[cur])
		}
	}
	c.r.OK = len(c.r.Violations) == 0
	return c.r
}

// checker is one Check in progress: the report, the entries by account (an account
// is removed once checked) and by posting, and the balance total per currency. Every
// map is walked in sorted order, so the same snapshot gives the same report.
type checker struct {
	r         Report
	byAccount map[string][]Entry
	byPosting map[string][]Entry
	total     map[string]int64
	openHeld  map[string]int64 // wallet id → the sum of its open holds
	shards    map[string][]Shard
}

// holds checks each hold's flags, sums the open ones per wallet, and returns the holds
// by the id of the posting that settles them.
func (c *checker) holds(hs []HoldFacts) map[string]HoldFacts {
	byPosting := make(map[string]HoldFacts, len(hs))
	sorted := append([]HoldFacts(nil), hs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].TransferID < sorted[j].TransferID })
	for _, h := range sorted {
		switch {
		case h.Posted && h.Released:
			c.add("transfer %s: both posted and released", h.TransferID)
		case (h.Posted || h.Released) && !h.Reserved:
			c.add("transfer %s: settled without a hold", h.TransferID)
		}
		if h.Open() {
			c.openHeld[h.WalletID] += h.HoldMinor
		}
		byPosting[h.PostingID] = h
	}
	return byPosting
}

// settles checks that a transfer posting took, out of its source, the captured amount
// of a posted hold of at least that amount.
func (c *checker) settles(id string, es []Entry, byPosting map[string]HoldFacts) {
	if len(es) == 0 || es[0].Kind != KindTransfer {
		return
	}
	h, ok := byPosting[id]
	if !ok || !h.Posted {
		c.add("posting %s: a transfer posting without a posted hold", id)
		return
	}
	for _, e := range es {
		if e.Account == h.WalletID && (e.AmountMinor != -h.CaptureMinor || h.CaptureMinor > h.HoldMinor) {
			c.add("transfer %s: posting %s takes %d from a hold of %d capturing %d", h.TransferID, id, -e.AmountMinor, h.HoldMinor, h.CaptureMinor)
		}
	}
}

func (c *checker) add(format string, args ...any) {
	if len(c.r.Violations) < violationsShownMax {
		c.r.Violations = append(c.r.Violations, fmt.Sprintf(format, args...))
	}
}

// wallet checks a wallet's amounts against each other and against its entries.
func (c *checker) wallet(item Wallet) {
	c.r.WalletsChecked++
	w := c.withShards(item)
	c.total[w.Currency] += w.BalanceMinor
	if w.HeldMinor < 0 {
		c.add("wallet %s: held %d < 0", w.ID, w.HeldMinor)
	}
	if item.AvailableMinor() < 0 {
		c.add("wallet %s: available %d < 0", w.ID, item.AvailableMinor())
	}
	if w.HeldMinor != c.openHeld[w.ID] {
		c.add("wallet %s: held %d, open holds sum to %d", w.ID, w.HeldMinor, c.openHeld[w.ID])
	}
	entries := c.byAccount[w.ID]
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	if int64(len(entries)) != w.EntryCount {
		c.add("wallet %s: %d entries, entry_count %d", w.ID, len(entries), w.EntryCount)
	}
	var running int64
	for _, e := range entries {
		running += e.AmountMinor
		if e.Currency != w.Currency {
			c.add("wallet %s: entry %s in %s", w.ID, e.ID, e.Currency)
		}
	}
	if running != w.BalanceMinor {
		c.add("wallet %s: balance %d, entries sum to %d", w.ID, w.BalanceMinor, running)
	}
	delete(c.byAccount, w.ID)
}

// withShards checks a wallet's receive shards against it and returns the wallet with
// them counted in.
func (c *checker) withShards(w Wallet) Wallet {
	shards := c.shards[w.ID]
	delete(c.shards, w.ID)
	if len(shards) != w.ReceiveShards {
		c.add("wallet %s: %d receive shards, want %d", w.ID, len(shards), w.ReceiveShards)
	}
	for _, sh := range shards {
		if sh.BalanceMinor < 0 {
			c.add("wallet %s: shard %d balance %d < 0", w.ID, sh.Number, sh.BalanceMinor)
		}
		if sh.Status != w.Status {
			c.add("wallet %s: shard %d is %s, the wallet %s", w.ID, sh.Number, sh.Status, w.Status)
		}
		if sh.Currency != w.Currency {
			c.add("wallet %s: shard %d in %s", w.ID, sh.Number, sh.Currency)
		}
	}
	return WithShards(w, shards)
}

// externals checks each external account's stored balance against its entries.
func (c *checker) externals(balances map[string]int64) {
	for _, a := range sortedKeys(balances) {
		var sum int64
		var currency string
		for _, e := range c.byAccount[a] {
			sum += e.AmountMinor
			currency = e.Currency
		}
		if sum != balances[a] {
			c.add("external account %s: balance %d, entries sum to %d", a, balances[a], sum)
		}
		if currency != "" {
			c.total[currency] += balances[a]
		}
		delete(c.byAccount, a)
	}
}

// posting checks that a posting's entries balance.
func (c *checker) posting(id string, es []Entry) {
	c.r.PostingsChecked++
	p := Posting{ID: id, Entries: es}
	if len(es) > 0 {
		p.Currency = es[0].Currency
	}
	if err := p.Validate(); err != nil {
		c.add("%v", err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
