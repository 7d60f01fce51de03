package ledger

import "sort"

// refunds checks the refund rules over every transfer: a refunded transfer's total is
// the sum of the posted refunds it lists (each once, each naming it), at most what it
// moved, and every posted refund is listed on the transfer it refunds.
func (c *checker) refunds(hs []HoldFacts) {
	byID := make(map[string]HoldFacts, len(hs))
	for _, h := range hs {
		byID[h.TransferID] = h
	}
	sorted := append([]HoldFacts(nil), hs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].TransferID < sorted[j].TransferID })
	listed := map[string]int{}
	for _, h := range sorted {
		var sum int64
		for _, id := range h.RefundIDs {
			listed[id]++
			r, ok := byID[id]
			switch {
			case !ok || r.RefundOf != h.TransferID:
				c.add("transfer %s: lists %s, which is not its refund", h.TransferID, id)
			case !r.Posted:
				c.add("transfer %s: lists refund %s, which is not posted", h.TransferID, id)
			default:
				sum += r.CaptureMinor
			}
		}
		if sum != h.RefundedMinor {
			c.add("transfer %s: refunded %d, but its listed refunds sum to %d", h.TransferID, h.RefundedMinor, sum)
		}
		if h.RefundedMinor > 0 && (!h.Posted || h.RefundedMinor > h.CaptureMinor) {
			c.add("transfer %s: refunded %d of %d moved", h.TransferID, h.RefundedMinor, h.CaptureMinor)
		}
	}
	for _, h := range sorted {
		if h.RefundOf != "" && h.Posted && listed[h.TransferID] != 1 {
			c.add("refund %s: posted, but listed %d times on %s", h.TransferID, listed[h.TransferID], h.RefundOf)
		}
	}
}
