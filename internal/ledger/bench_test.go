package ledger

import (
	"testing"
	"time"
)

// Run with: go test -run '^$' -bench . -benchmem ./internal/ledger/

func BenchmarkCredit(b *testing.B) {
	w := Wallet{ID: "w", OwnerID: "u", Currency: "USD", Status: StatusActive}
	limits := CreditLimits{PerCreditMaxMinor: DefaultCreditMaxMinor, DailyMaxMinor: 1 << 62}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		d, _, err := Credit(w, CreditInput{PostingID: "p", AmountMinor: 100, Now: now}, limits)
		if err != nil {
			b.Fatal(err)
		}
		if w, err = d.Apply(w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheck10kEntries(b *testing.B) {
	bk := &book{wallets: map[string]Wallet{"w": {ID: "w", Currency: "USD", Status: StatusActive}}, external: map[string]int64{}}
	limits := CreditLimits{PerCreditMaxMinor: DefaultCreditMaxMinor, DailyMaxMinor: 1 << 62}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5000; i++ {
		d, p, err := Credit(bk.wallets["w"], CreditInput{PostingID: "p" + time.Duration(i).String(), AmountMinor: 1, Now: now}, limits)
		if err != nil {
			b.Fatal(err)
		}
		if err := bk.commit([]Delta{d}, &p); err != nil {
			b.Fatal(err)
		}
	}
	snap := bk.snapshot()
	b.ReportAllocs()
	for b.Loop() {
		if r := Check(snap); !r.OK {
			b.Fatal(r.Violations)
		}
	}
}
