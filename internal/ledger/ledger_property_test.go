package ledger

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// book applies the ledger functions to in-memory state the way the store does: the
// returned next state and posting replace the old state only when there is no error.
type book struct {
	wallets  map[string]Wallet
	external map[string]int64
	entries  []Entry
	holds    []HoldFacts // every hold placed, as a transfer's flags record it
}

// errNoOpenHold refuses a release or post when the book has no open hold to settle.
var errNoOpenHold = errors.New("no open hold")

func (b *book) snapshot() Snapshot {
	s := Snapshot{ExternalBalances: map[string]int64{}}
	for _, w := range b.wallets {
		s.Wallets = append(s.Wallets, w)
	}
	for a, v := range b.external {
		s.ExternalBalances[a] = v
	}
	s.Entries = append(s.Entries, b.entries...)
	s.Holds = append(s.Holds, b.holds...)
	return s
}

// openHold picks one of the open holds at random (-1: none).
func (b *book) openHold(rng *rand.Rand) int {
	var open []int
	for i, h := range b.holds {
		if h.Open() {
			open = append(open, i)
		}
	}
	if len(open) == 0 {
		return -1
	}
	return open[rng.IntN(len(open))]
}

func (b *book) clone() *book {
	c := &book{wallets: map[string]Wallet{}, external: map[string]int64{}}
	for k, v := range b.wallets {
		c.wallets[k] = v
	}
	for k, v := range b.external {
		c.external[k] = v
	}
	c.entries = append(c.entries, b.entries...)
	c.holds = append(c.holds, b.holds...)
	return c
}

// commit applies deltas and a posting the way the store does (ApplyAll).
func (b *book) commit(ds []Delta, p *Posting) error {
	if err := ApplyAll(b.wallets, ds, p); err != nil {
		return err
	}
	if p != nil {
		for _, e := range p.Entries {
			if _, isWallet := b.wallets[e.Account]; !isWallet {
				b.external[e.Account] += e.AmountMinor
			}
			b.entries = append(b.entries, e)
		}
	}
	return nil
}

// step applies one random operation and returns its name and error.
func (b *book) step(rng *rand.Rand, ids []string, limits CreditLimits, now time.Time, n int) (string, error) {
	pick := func() Wallet { return b.wallets[ids[rng.IntN(len(ids))]] }
	amount := func() int64 {
		switch rng.IntN(10) {
		case 0:
			return -rng.Int64N(100)
		case 1:
			return 0
		case 2:
			return limits.PerCreditMaxMinor + rng.Int64N(10)
		case 3:
			return math.MaxInt64
		default:
			return 1 + rng.Int64N(50_000)
		}
	}
	pid := fmt.Sprintf("p%d", n)
	// decided on copies read now, committed on the stored state: as the store does
	moved := func(name string, ds []Delta, p Posting, err error) (string, error) {
		if err != nil {
			return name, err
		}
		return name, b.commit(ds, &p)
	}
	held := func(name string, d Delta, err error) (string, error) {
		if err != nil {
			return name, err
		}
		return name, b.commit([]Delta{d}, nil)
	}
	switch op := rng.IntN(10); op {
	case 7, 8:
		i := b.openHold(rng)
		if i < 0 {
			return "post", errNoOpenHold
		}
		h := b.holds[i]
		capture := upTo(rng, h.HoldMinor+1) // now and then one more than the hold: refused
		ds, p, err := Post(b.wallets[h.WalletID], pick(), PostInput{PostingID: h.PostingID, CaptureMinor: capture, HoldMinor: h.HoldMinor, Kind: KindTransfer, Now: now})
		name, err := moved("post", ds, p, err)
		if err == nil {
			b.holds[i].Posted, b.holds[i].CaptureMinor = true, capture
		}
		return name, err
	case 9:
		w := pick()
		d, p, err := Receive(w, MoveInput{PostingID: pid, AmountMinor: amount(), Counter: ExternalAccount(PurposeRewards, w.Currency), Kind: KindReward, Now: now})
		return moved("receive", []Delta{d}, p, err)
	case 0, 1, 2:
		w := pick()
		d, p, err := Credit(w, CreditInput{PostingID: pid, AmountMinor: amount(), Now: now}, limits)
		return moved("credit", []Delta{d}, p, err)
	case 3, 4:
		w, a := pick(), amount()
		d, err := Hold(w, a, now)
		name, err := held("hold", d, err)
		if err == nil {
			b.holds = append(b.holds, HoldFacts{TransferID: pid, WalletID: w.ID, HoldMinor: a, PostingID: pid + "-post", Reserved: true})
		}
		return name, err
	case 5:
		i := b.openHold(rng)
		if i < 0 {
			return "release", errNoOpenHold
		}
		h := b.holds[i]
		d, err := Release(b.wallets[h.WalletID], h.HoldMinor, now)
		name, err := held("release", d, err)
		if err == nil {
			b.holds[i].Released = true
		}
		return name, err
	default:
		w := pick()
		to := []Status{StatusActive, StatusFrozen, StatusClosed, "BOGUS"}[rng.IntN(4)]
		next, err := ChangeStatus(w, to, rng.IntN(2) == 0, rng.IntN(2) == 0, now)
		if err == nil {
			b.wallets[w.ID] = next
		}
		return "status", err
	}
}

// upTo draws from 1..n (1 when n < 1) without overflowing at math.MaxInt64.
func upTo(rng *rand.Rand, n int64) int64 {
	if n < 1 {
		return 1
	}
	return 1 + rng.Int64N(n)
}

// TestLedgerProperties applies seeded random operation sequences. After every
// operation: the invariant check passes (money conserved per currency, balances equal
// their entries, no negative available), and a refused operation changed nothing.
func TestLedgerProperties(t *testing.T) {
	const (
		seeds         = 40
		stepsPerSeed  = 400
		walletsPerRun = 5
	)
	limits := CreditLimits{PerCreditMaxMinor: 100_000, DailyMaxMinor: 1_000_000}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed*7919))
			b := &book{wallets: map[string]Wallet{}, external: map[string]int64{}}
			var ids []string
			for i := 0; i < walletsPerRun; i++ {
				id := fmt.Sprintf("w%d", i)
				cur := "USD"
				if i == walletsPerRun-1 {
					cur = "JPY" // one wallet in another currency: transfers to it are refused
				}
				b.wallets[id] = Wallet{ID: id, Currency: cur, Status: StatusActive}
				ids = append(ids, id)
			}
			day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			refused, applied := 0, 0
			for n := 0; n < stepsPerSeed; n++ {
				now := day.Add(time.Duration(n) * 5 * time.Minute) // crosses UTC days: daily limits reset
				before := b.clone()
				name, err := b.step(rng, ids, limits, now, n)
				if err != nil {
					refused++
					require.True(t, reflect.DeepEqual(before, b), "step %d: refused %s changed the book: %v", n, name, err)
				} else {
					applied++
				}
				rep := Check(b.snapshot())
				require.True(t, rep.OK, "step %d (%s): %v", n, name, rep.Violations)
			}
			assert.Positive(t, applied, "the sequence must move money")
			assert.Positive(t, refused, "the sequence must exercise refusals")
		})
	}
}

// TestCheckFindsViolations makes sure the checker can fail: each case breaks one rule.
func TestCheckFindsViolations(t *testing.T) {
	good := func() Snapshot {
		return Snapshot{
			Wallets: []Wallet{{ID: "w", Currency: "USD", BalanceMinor: 65, HeldMinor: 20, EntryCount: 3, Status: StatusActive},
				{ID: "v", Currency: "USD", BalanceMinor: 5, EntryCount: 1, Status: StatusActive}},
			Entries: []Entry{
				{ID: "a:0", PostingID: "a", Account: "w", Currency: "USD", AmountMinor: 100},
				{ID: "a:1", PostingID: "a", Account: "external:funding:USD", Currency: "USD", AmountMinor: -100},
				{ID: "b:0", PostingID: "b", Account: "w", Currency: "USD", AmountMinor: -30},
				{ID: "b:1", PostingID: "b", Account: "external:funding:USD", Currency: "USD", AmountMinor: 30},
				{ID: "t2-post:0", PostingID: "t2-post", Account: "w", Currency: "USD", AmountMinor: -5, Kind: KindTransfer},
				{ID: "t2-post:1", PostingID: "t2-post", Account: "v", Currency: "USD", AmountMinor: 5, Kind: KindTransfer},
			},
			ExternalBalances: map[string]int64{"external:funding:USD": -70},
			Holds: []HoldFacts{
				{TransferID: "t1", WalletID: "w", HoldMinor: 20, CaptureMinor: 20, PostingID: "t1-post", Reserved: true},
				{TransferID: "t2", WalletID: "w", HoldMinor: 8, CaptureMinor: 5, PostingID: "t2-post", Reserved: true, Posted: true},
				{TransferID: "t3", WalletID: "w", HoldMinor: 9, CaptureMinor: 9, PostingID: "t3-post", Reserved: true, Released: true},
			},
		}
	}
	require.True(t, Check(good()).OK, "%v", Check(good()).Violations)

	tests := map[string]struct {
		breakIt func(s *Snapshot)
		want    string // a part of the violation that names the broken rule
	}{
		"balance differs from entries":      {func(s *Snapshot) { s.Wallets[0].BalanceMinor = 66 }, "wallet w: balance 66, entries sum to 65"},
		"available negative":                {func(s *Snapshot) { s.Wallets[0].HeldMinor = 80 }, "wallet w: available -15 < 0"},
		"held negative":                     {func(s *Snapshot) { s.Wallets[1].HeldMinor = -1 }, "wallet v: held -1 < 0"},
		"missing entry":                     {func(s *Snapshot) { s.Entries = s.Entries[1:] }, "posting a: 1 entries, want at least 2"},
		"posting unbalanced up":             {func(s *Snapshot) { s.Entries[3].AmountMinor = 31 }, "posting b: entries sum to 1, want 0"},
		"posting unbalanced down":           {func(s *Snapshot) { s.Entries[3].AmountMinor = 29 }, "posting b: entries sum to -1, want 0"},
		"external balance off":              {func(s *Snapshot) { s.ExternalBalances["external:funding:USD"] = -69 }, "external account external:funding:USD: balance -69, entries sum to -70"},
		"entry count off":                   {func(s *Snapshot) { s.Wallets[0].EntryCount = 4 }, "wallet w: 3 entries, entry_count 4"},
		"entry in another currency":         {func(s *Snapshot) { s.Entries[2].Currency = "EUR"; s.Entries[3].Currency = "EUR" }, "wallet w: entry b:0 in EUR"},
		"currency not conserved":            {func(s *Snapshot) { s.Wallets[1].BalanceMinor, s.Entries[5].AmountMinor = 6, 6 }, "USD: wallets and external accounts sum to 1, want 0"},
		"held differs from open holds":      {func(s *Snapshot) { s.Holds[0].Released = true }, "wallet w: held 20, open holds sum to 0"},
		"a hold posted and released":        {func(s *Snapshot) { s.Holds[2].Posted = true }, "transfer t3: both posted and released"},
		"a hold settled unreserved":         {func(s *Snapshot) { s.Holds[2].Reserved = false }, "transfer t3: settled without a hold"},
		"a posting without a posted hold":   {func(s *Snapshot) { s.Holds[1].Posted, s.Holds[1].Released = false, true }, "posting t2-post: a transfer posting without a posted hold"},
		"a posting larger than its capture": {func(s *Snapshot) { s.Holds[1].CaptureMinor = 4 }, "transfer t2: posting t2-post takes 5 from a hold of 8 capturing 4"},
		"a capture larger than its hold":    {func(s *Snapshot) { s.Holds[1].HoldMinor = 4 }, "transfer t2: posting t2-post takes 5 from a hold of 4 capturing 5"},
		"a posted hold without posting":     {func(s *Snapshot) { s.Holds[2].Released, s.Holds[2].Posted = false, true }, "transfer t3: posted, but its posting t3-post is missing"},
		"orphan entry": {func(s *Snapshot) {
			s.Entries = append(s.Entries, Entry{ID: "x", PostingID: "x", Account: "ghost", AmountMinor: 1})
		}, "account ghost: 1 entries but no wallet or external balance"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := good()
			tt.breakIt(&s)
			rep := Check(s)
			assert.False(t, rep.OK)
			assert.Contains(t, rep.Violations, tt.want, "the violation names the rule")
		})
	}
}

// TestCheckReportsInOneOrder: the same snapshot gives the same report, its violations
// in sorted order, however Go orders the maps inside.
func TestCheckReportsInOneOrder(t *testing.T) {
	var s Snapshot
	for i := range 12 {
		// postings of one entry each, on accounts nothing claims: two violations apiece
		s.Entries = append(s.Entries, Entry{ID: fmt.Sprintf("e-%02d", i), PostingID: fmt.Sprintf("p-%02d", i),
			Account: fmt.Sprintf("orphan-%02d", i), Currency: "USD", AmountMinor: int64(i + 1)})
	}
	first := Check(s)
	require.False(t, first.OK)
	require.Len(t, first.Violations, 12+12, "an orphan account and an unbalanced posting per entry")
	for range 20 {
		assert.Equal(t, first, Check(s))
	}
	assert.Equal(t, "account orphan-00: 1 entries but no wallet or external balance", first.Violations[0])
	assert.Equal(t, "account orphan-11: 1 entries but no wallet or external balance", first.Violations[11])
	assert.Contains(t, first.Violations[12], "p-00")
}
