package ledger

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckRefunds(t *testing.T) {
	paid := HoldFacts{TransferID: "t", CaptureMinor: 1_000, Reserved: true, Posted: true}
	refund := func(id string, amount int64, posted bool) HoldFacts {
		return HoldFacts{TransferID: id, CaptureMinor: amount, Reserved: true, Posted: posted, Released: !posted, RefundOf: "t"}
	}
	refunded := func(total int64, ids ...string) HoldFacts {
		h := paid
		h.RefundedMinor, h.RefundIDs = total, ids
		return h
	}
	tests := []struct {
		name  string
		holds []HoldFacts
		want  []string
	}{
		{"no refunds", []HoldFacts{paid}, nil},
		{"two refunds listed and summed", []HoldFacts{refunded(1_000, "r1", "r2"), refund("r1", 600, true), refund("r2", 400, true)}, nil},
		{"a failed refund is not listed", []HoldFacts{refunded(600, "r1"), refund("r1", 600, true), refund("r2", 600, false)}, nil},
		{"the total is not the listed sum", []HoldFacts{refunded(500, "r1"), refund("r1", 600, true)},
			[]string{"transfer t: refunded 500, but its listed refunds sum to 600"}},
		{"refunded beyond what it moved", []HoldFacts{refunded(1_200, "r1", "r2"), refund("r1", 600, true), refund("r2", 600, true)},
			[]string{"transfer t: refunded 1200 of 1000 moved"}},
		{"a posted refund left off its transfer", []HoldFacts{refunded(0), refund("r1", 600, true)},
			[]string{"refund r1: posted, but listed 0 times on t"}},
		{"a refund listed twice", []HoldFacts{refunded(1_200, "r1", "r1"), refund("r1", 600, true)},
			[]string{"transfer t: refunded 1200 of 1000 moved", "refund r1: posted, but listed 2 times on t"}},
		{"an unposted refund listed", []HoldFacts{refunded(0, "r1"), refund("r1", 600, false)},
			[]string{"transfer t: lists refund r1, which is not posted"}},
		{"another transfer listed", []HoldFacts{refunded(0, "x"), {TransferID: "x", Posted: true}},
			[]string{"transfer t: lists x, which is not its refund"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checker{r: Report{Violations: []string{}}}
			c.refunds(tt.holds)
			if tt.want == nil {
				assert.Empty(t, c.r.Violations)
				return
			}
			assert.Equal(t, tt.want, c.r.Violations)
		})
	}
}
