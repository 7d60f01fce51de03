package ledger

import (
	"fmt"
	"sort"
)

// Snapshot is the whole ledger as read for a check.
type Snapshot struct {
	Wallets          []Wallet
	Entries          []Entry          // every entry, on wallets and external accounts
	ExternalBalances map[string]int64 // external account id → stored balance
	Problems         []string         // inconsistencies the store found while reading
}

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
//     held ≥ 0 and available = balance − held ≥ 0;
//   - every posting sums to zero;
//   - every external account's stored balance = sum of its entries;
//   - per currency, wallet balances plus external balances sum to zero.
func Check(s Snapshot) Report {
	r := Report{Violations: []string{}}
	add := func(format string, args ...any) {
		if len(r.Violations) < violationsShownMax {
			r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
		}
	}
	for _, p := range s.Problems {
		add("%s", p)
	}
	byAccount := map[string][]Entry{}
	byPosting := map[string][]Entry{}
	for _, e := range s.Entries {
		byAccount[e.Account] = append(byAccount[e.Account], e)
		byPosting[e.PostingID] = append(byPosting[e.PostingID], e)
	}
	r.EntriesChecked = len(s.Entries)
	total := map[string]int64{} // per currency

	for _, w := range s.Wallets {
		r.WalletsChecked++
		total[w.Currency] += w.BalanceMinor
		if w.HeldMinor < 0 {
			add("wallet %s: held %d < 0", w.ID, w.HeldMinor)
		}
		if w.AvailableMinor() < 0 {
			add("wallet %s: available %d < 0", w.ID, w.AvailableMinor())
		}
		entries := byAccount[w.ID]
		sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
		if int64(len(entries)) != w.EntryCount {
			add("wallet %s: %d entries, entry_count %d", w.ID, len(entries), w.EntryCount)
		}
		var running int64
		for _, e := range entries {
			running += e.AmountMinor
			if e.Currency != w.Currency {
				add("wallet %s: entry %s in %s", w.ID, e.ID, e.Currency)
			}
		}
		if running != w.BalanceMinor {
			add("wallet %s: balance %d, entries sum to %d", w.ID, w.BalanceMinor, running)
		}
		delete(byAccount, w.ID)
	}

	accounts := make([]string, 0, len(s.ExternalBalances))
	for a := range s.ExternalBalances {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	for _, a := range accounts {
		var sum int64
		var currency string
		for _, e := range byAccount[a] {
			sum += e.AmountMinor
			currency = e.Currency
		}
		if sum != s.ExternalBalances[a] {
			add("external account %s: balance %d, entries sum to %d", a, s.ExternalBalances[a], sum)
		}
		if currency != "" {
			total[currency] += s.ExternalBalances[a]
		}
		delete(byAccount, a)
	}
	for a, es := range byAccount {
		add("account %s: %d entries but no wallet or external balance", a, len(es))
	}

	for id, es := range byPosting {
		r.PostingsChecked++
		p := Posting{ID: id, Entries: es}
		if len(es) > 0 {
			p.Currency = es[0].Currency
		}
		if err := p.Validate(); err != nil {
			add("%v", err)
		}
	}
	currencies := make([]string, 0, len(total))
	for c := range total {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	for _, c := range currencies {
		if total[c] != 0 {
			add("%s: wallets and external accounts sum to %d, want 0", c, total[c])
		}
	}
	r.OK = len(r.Violations) == 0
	return r
}
