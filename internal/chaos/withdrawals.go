package chaos

import (
	"context"
	"math/rand/v2"

	"github.com/google/uuid"
)

// withdrawalMaxMinor bounds the workload's withdrawals: under the deployment's
// per-withdrawal limit, and small beside the credits, so most are covered.
const withdrawalMaxMinor = 5_000

// withdraw takes a random amount out of u's wallet to the funding account; a refusal
// (insufficient_funds, a limit) is counted, an accepted one is what left.
func (w *Workload) withdraw(ctx context.Context, rng *rand.Rand, u User) {
	key := uuid.NewString()
	amount := 1 + rng.Int64N(withdrawalMaxMinor)
	r, err := w.API.Settle(ctx, "POST", "/v1/wallets/"+u.WalletID+"/withdrawals", u.Token, key, map[string]int64{"amount": amount})
	if !w.created("withdrawal", key, r, err) {
		return
	}
	w.mu.Lock()
	w.exp.Withdrawals[key] = amount
	w.exp.Ops["withdrawal 201"]++
	w.mu.Unlock()
}
