package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/google/uuid"
)

// paid is a transfer completed into a wallet: what its owner may refund.
type paid struct {
	id     string
	amount int64
}

// shareRefundRace is the percentage of refunds sent as two at once, each over half the
// amount: at most one of them may complete.
const shareRefundRace = 25

// refund gives back part of a transfer u received: one refund of a random part, or two
// racing refunds of more than half each.
func (w *Workload) refund(ctx context.Context, rng *rand.Rand, u User) {
	w.mu.Lock()
	got := w.received[u.WalletID]
	var p paid
	if len(got) > 0 {
		p = got[rng.IntN(len(got))]
	}
	w.mu.Unlock()
	if p.id == "" {
		w.count("refund skipped: nothing received")
		return
	}
	racers, amount, kind := 1, 1+rng.Int64N(p.amount), "refund"
	if rng.IntN(100) < shareRefundRace {
		racers, amount, kind = 2, p.amount/2+1, "racing refund"
	}
	var wg sync.WaitGroup
	for range racers {
		key := uuid.NewString()
		wg.Go(func() { w.sendRefund(ctx, u, kind, p.id, key, amount) })
	}
	wg.Wait()
}

func (w *Workload) sendRefund(ctx context.Context, u User, kind, id, key string, amount int64) {
	r, err := w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/refunds", u.Token, key, map[string]int64{"amount": amount})
	if err != nil {
		w.undetermined(kind+" "+key, err)
		return
	}
	var v transferView
	if err := r.Decode(&v); err != nil {
		w.unreadable(kind+" "+key, err)
		return
	}
	w.count(fmt.Sprintf("%s %d %s%s", kind, r.Status, v.Status, v.Error.Code))
	refundID := v.ID
	if refundID == "" {
		refundID = v.Error.Details.TransferID
	}
	if refundID == "" {
		return // refused before a refund existed
	}
	w.mu.Lock()
	w.exp.Transfers[refundID] = u
	w.mu.Unlock()
}

// checkRefunds checks that no transfer's COMPLETED refunds add up to more than it
// moved, and that every completed refund names a transfer the clients saw complete.
func checkRefunds(ends map[string]TransferEnd) []string {
	refunded := map[string]int64{}
	for _, t := range ends {
		if t.RefundOf != "" && t.Status == "COMPLETED" {
			refunded[t.RefundOf] += t.moved()
		}
	}
	var problems []string
	for id, sum := range refunded {
		orig, ok := ends[id]
		switch {
		case !ok || orig.Status != "COMPLETED":
			problems = append(problems, fmt.Sprintf("refunds of %s (%d) refund a transfer the clients did not see complete", id, sum))
		case sum > orig.moved():
			problems = append(problems, fmt.Sprintf("transfer %s moved %d but its refunds gave back %d", id, orig.moved(), sum))
		}
	}
	sort.Strings(problems)
	return problems
}
