package chaos

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// await polls a transfer until done says its status is what the caller waits for, or
// SettleWithin passes; it returns the last view read. An answer it cannot read is
// recorded (Expectations.Unreadable) and polled again.
func (w *Workload) await(ctx context.Context, u User, id string, done func(string) bool) transferView {
	deadline := time.Now().Add(w.Config.SettleWithin)
	var last transferView
	for time.Now().Before(deadline) {
		r, err := w.API.Settle(ctx, "GET", "/v1/transfers/"+id, u.Token, "", nil)
		if err == nil && r.Status == http.StatusOK {
			var v transferView
			if err := r.Decode(&v); err != nil {
				w.unreadable("transfer "+id, err)
			} else if last = v; done(v.Status) {
				return v
			}
		}
		select {
		case <-ctx.Done():
			return last
		case <-time.After(pollEvery):
		}
	}
	return last
}

// settleAll waits, with as many workers as clients, for every transfer to be final; a
// hold still HELD (its client never got to resolve it) is voided.
func (w *Workload) settleAll(ctx context.Context) {
	w.mu.Lock()
	ids := make(chan string, len(w.exp.Transfers))
	payers := make(map[string]User, len(w.exp.Transfers))
	for id, u := range w.exp.Transfers {
		ids <- id
		payers[id] = u
	}
	w.mu.Unlock()
	close(ids)
	var wg sync.WaitGroup
	for c := 0; c < w.Config.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				w.settle(ctx, id, payers[id])
			}
		}()
	}
	wg.Wait()
}

func (w *Workload) settle(ctx context.Context, id string, u User) {
	v := w.await(ctx, u, id, func(s string) bool { return finalStatus[s] || s == "HELD" })
	if v.Status == "NEEDS_REVIEW" && w.AdminToken != "" {
		w.resolveOnTheDesk(ctx, id)
		v = w.await(ctx, u, id, func(s string) bool { return (finalStatus[s] && s != "NEEDS_REVIEW") || s == "HELD" })
	}
	if v.Status == "HELD" {
		if _, err := w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/void", u.Token, uuid.NewString(), nil); err != nil {
			w.undetermined("final void "+id, err)
			return
		}
		v = w.await(ctx, u, id, func(s string) bool { return finalStatus[s] })
	}
	if !finalStatus[v.Status] {
		w.undetermined("transfer "+id, fmt.Errorf("still %q after %s", v.Status, w.Config.SettleWithin))
	}
	w.count("final " + v.Status)
	if finalStatus[v.Status] {
		w.mu.Lock()
		w.exp.Ends[id] = TransferEnd{ID: id, Status: v.Status, Source: v.SourceWalletID, Destination: v.DestinationWalletID,
			Amount: v.Amount, Captured: v.CapturedAmount, RefundOf: v.RefundOf,
			RequestID: v.PaymentRequestID}
		w.mu.Unlock()
	}
}

// deskActions are the review desk's actions, tried in a random order per case until one
// is accepted (each refusal names a state the action does not apply to).
var deskActions = []string{"retry", "complete", "reverse"}

// resolveOnTheDesk resolves a NEEDS_REVIEW transfer as an operator would, with a random
// action; a hold it hands back to the payer (retry) is then voided by settle.
func (w *Workload) resolveOnTheDesk(ctx context.Context, id string) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	rng := rand.New(rand.NewPCG(w.Config.Seed, h.Sum64())) // #nosec G404: a reproducible choice, not a secret
	order := slices.Clone(deskActions)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, action := range order {
		r, err := w.API.Settle(ctx, "POST", "/v1/admin/transfers/"+id+"/resolve", w.AdminToken, uuid.NewString(),
			map[string]string{"action": action, "reason": "chaos: resolved on the desk"})
		switch {
		case err != nil:
			w.undetermined("resolve "+id, err)
			return
		case r.Status == http.StatusOK:
			w.count("desk " + action)
			return
		case r.Status != http.StatusUnprocessableEntity:
			w.undetermined("resolve "+id, Unexpected("resolve "+action, r, nil))
			return
		}
		w.count("desk " + action + " refused " + r.Code())
	}
	w.undetermined("resolve "+id, fmt.Errorf("every action refused"))
}
