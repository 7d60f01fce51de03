package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Payment requests in the mix: a user asks another (by email) for an amount; the
// addressee pays it from their wallet, sometimes twice at once (with one key or two),
// or declines it, or the asker cancels it, sometimes racing a payment.

// Shares of the request operations, in percent.
const (
	shareRequestCancel  = 5   // the asker cancels
	shareRequestDecline = 5   // the addressee declines
	shareRequestRefusal = 6   // a pay racing a cancel or a decline
	shareRequestPayRace = 25  // of the pays: two at once
	refusalDelayMaxMs   = 250 // a cancel or decline racing a payment waits up to this long
	requestPagesMax     = 1_000
	requestNote         = "chaos"
)

// requestView is the part of a payment request answer the workload reads.
type requestView struct {
	ID         string `json:"id"`
	PayeeID    string `json:"payee_id"`
	Amount     int64  `json:"amount"`
	Status     string `json:"status"`
	TransferID string `json:"transfer_id"`
	To         struct {
		Email string `json:"email"`
	} `json:"to"`
}

// RequestEnd is a payment request as its asker's list showed it after every transfer
// ended, with the wallets it names resolved.
type RequestEnd struct {
	ID, Status  string
	Amount      int64
	PayeeWallet string // the asker's: where a payment goes
	PayerWallet string // the addressee's: where a payment comes from
	TransferID  string // the paying transfer, while PAYING and once PAID
}

// other draws a user other than u, uniformly: from all but the last; drawing u means
// the last (who is not u, or u could not have been drawn).
func (w *Workload) other(rng *rand.Rand, u User) User {
	o := w.Users[rng.IntN(len(w.Users)-1)]
	if o.WalletID == u.WalletID {
		o = w.Users[len(w.Users)-1]
	}
	return o
}

// request runs one payment request from asking to its end as u's peers act on it.
func (w *Workload) request(ctx context.Context, rng *rand.Rand, u User) {
	payer := w.other(rng, u)
	key := uuid.NewString()
	body := map[string]any{"to": map[string]string{"email": payer.Email}, "amount": 1 + rng.Int64N(transferMaxMinor),
		"currency": "USD", "note": requestNote}
	r, err := w.API.Settle(ctx, "POST", "/v1/payment-requests", u.Token, key, body)
	if !w.created("ask", key, r, err) {
		return
	}
	var v requestView
	if err := r.Decode(&v); err != nil {
		w.unreadable("ask "+key, err)
		return
	}
	w.mu.Lock()
	w.exp.Asked[v.ID] = u
	w.exp.Ops["ask 201"]++
	w.mu.Unlock()
	pay := func(kind, key string) func() payment {
		return func() payment { return w.pay(ctx, payer, u, v.ID, kind, key) }
	}
	switch n := rng.IntN(100); {
	case n < shareRequestCancel:
		w.answer(ctx, u, v.ID, "cancel", "cancel")
	case n < shareRequestCancel+shareRequestDecline:
		w.answer(ctx, payer, v.ID, "decline", "decline")
	case n < shareRequestCancel+shareRequestDecline+shareRequestRefusal:
		refuser, action := u, "cancel"
		if rng.IntN(2) == 0 {
			refuser, action = payer, "decline"
		}
		// The refusal is one write, a payment several: a random head start for the
		// payment lets either win.
		after := time.Duration(rng.IntN(refusalDelayMaxMs+1)) * time.Millisecond
		race(pay("pay racing "+action, uuid.NewString()), func() payment {
			select {
			case <-ctx.Done():
			case <-time.After(after):
			}
			w.answer(ctx, refuser, v.ID, action, action+" racing pay")
			return payment{}
		})
	case rng.IntN(100) >= shareRequestPayRace:
		if pay("pay", uuid.NewString())().failed {
			pay("pay again", uuid.NewString())() // the failed payment reopened the request
		}
	case rng.IntN(2) == 0:
		same := uuid.NewString()
		if a, b := race(pay("racing pay, one key", same), pay("racing pay, one key", same)); a.transfer != b.transfer {
			w.mu.Lock()
			w.exp.Mismatches = append(w.exp.Mismatches, fmt.Sprintf("two pays of request %s with key %s: transfers %q and %q", v.ID, same, a.transfer, b.transfer))
			w.mu.Unlock()
		}
	default:
		race(pay("racing pay, two keys", uuid.NewString()), pay("racing pay, two keys", uuid.NewString()))
	}
}

// race runs a and b at once and returns what each returned.
func race[T any](a, b func() T) (T, T) {
	var ra, rb T
	var wg sync.WaitGroup
	wg.Go(func() { ra = a() })
	wg.Go(func() { rb = b() })
	wg.Wait()
	return ra, rb
}

// payment is what a pay's answer said: the paying transfer ("" when none was made or
// the answer was lost), and whether it FAILED (the request is payable again).
type payment struct {
	transfer string
	failed   bool
}

// pay pays request id as payer from their wallet, and records the paying transfer.
func (w *Workload) pay(ctx context.Context, payer, payee User, id, kind, key string) payment {
	r, err := w.API.Settle(ctx, "POST", "/v1/payment-requests/"+id+"/pay", payer.Token, key, map[string]string{"wallet_id": payer.WalletID})
	if err != nil {
		w.undetermined(kind+" "+key, err)
		return payment{}
	}
	var v transferView
	if err := r.Decode(&v); err != nil {
		w.unreadable(kind+" "+key, err)
		return payment{}
	}
	w.count(fmt.Sprintf("%s %d %s%s", kind, r.Status, v.Status, v.Error.Code))
	tid := v.ID
	if tid == "" {
		tid = v.Error.Details.TransferID
	}
	if tid == "" {
		return payment{} // refused before a transfer existed
	}
	w.mu.Lock()
	w.exp.Transfers[tid] = payer
	if v.Status == "COMPLETED" && r.Status == http.StatusCreated {
		w.received[payee.WalletID] = append(w.received[payee.WalletID], paid{id: tid, amount: v.Amount})
	}
	w.mu.Unlock()
	return payment{transfer: tid, failed: v.Error.Code == codeTransferFailed}
}

// codeTransferFailed is the code of a 422 whose transfer FAILED (TransferFailedError).
const codeTransferFailed = "transfer_failed"

// answer declines (the addressee) or cancels (the asker) a request. Neither takes an
// Idempotency-Key: a retried one whose first answer was lost is refused as already so.
func (w *Workload) answer(ctx context.Context, u User, id, action, kind string) {
	r, err := w.API.Settle(ctx, "POST", "/v1/payment-requests/"+id+"/"+action, u.Token, "", nil)
	if err != nil {
		w.undetermined(kind+" "+id, err)
		return
	}
	var v requestView
	if err := r.Decode(&v); err != nil {
		w.unreadable(kind+" "+id, err)
		return
	}
	w.count(fmt.Sprintf("%s %d %s%s", kind, r.Status, v.Status, r.Code()))
}

// observeRequests reads every request each user asked for, as it stands once every
// transfer ended.
func (w *Workload) observeRequests(ctx context.Context) error {
	walletOf := map[string]string{} // user id and email → wallet id
	for _, u := range w.Users {
		walletOf[u.ID], walletOf[u.Email] = u.WalletID, u.WalletID
	}
	ends := map[string]RequestEnd{}
	for _, u := range w.Users {
		items, err := allPages[requestView](ctx, w.API, u, "/v1/payment-requests?role=sent", "requests of "+u.Email, requestPagesMax)
		if err != nil {
			return err
		}
		for _, v := range items {
			ends[v.ID] = RequestEnd{ID: v.ID, Status: v.Status, Amount: v.Amount, PayeeWallet: walletOf[v.PayeeID],
				PayerWallet: walletOf[v.To.Email], TransferID: v.TransferID}
		}
	}
	w.mu.Lock()
	w.exp.Requests = ends
	for _, r := range ends {
		w.exp.Ops["request ended "+r.Status]++
	}
	w.mu.Unlock()
	return nil
}

// checkRequests ties every payment request to its money: of the transfers bound to a
// request, at most one completed; a PAID request's is the one it names, and moved
// exactly the request's amount from the addressee's wallet to the asker's; a request
// in any other end state (DECLINED, CANCELLED, EXPIRED, PENDING again after a failed
// payment) moved nothing, and none is left PAYING once every transfer ended. Every
// request the clients saw made is in its asker's list, and every transfer bound to a
// request pays one of those. (That each transfer moved what its end says is
// checkTransfers'.)
func checkRequests(asked map[string]User, reqs map[string]RequestEnd, ends map[string]TransferEnd) []string {
	var problems []string
	moving := map[string][]TransferEnd{} // request id → its COMPLETED transfers
	for _, t := range ends {
		if t.RequestID == "" {
			continue
		}
		if _, ok := reqs[t.RequestID]; !ok {
			problems = append(problems, fmt.Sprintf("transfer %s %s pays request %s, which no asker's list shows", t.ID, t.Status, t.RequestID))
		}
		if t.Status == "COMPLETED" {
			moving[t.RequestID] = append(moving[t.RequestID], t)
		}
	}
	for id := range asked {
		if _, ok := reqs[id]; !ok {
			problems = append(problems, fmt.Sprintf("request %s was made, but its asker's list does not show it", id))
		}
	}
	for _, r := range reqs {
		paying := moving[r.ID]
		if len(paying) > 1 {
			problems = append(problems, fmt.Sprintf("request %s %s: %d transfers bound to it moved money", r.ID, r.Status, len(paying)))
		}
		switch r.Status {
		case "PAID":
			problems = append(problems, checkPaid(r, ends, paying)...)
		case "DECLINED", "CANCELLED", "EXPIRED", "PENDING":
			for _, t := range paying {
				problems = append(problems, fmt.Sprintf("request %s %s, but transfer %s bound to it moved %d", r.ID, r.Status, t.ID, t.moved()))
			}
		default:
			problems = append(problems, fmt.Sprintf("request %s ended %s after every transfer ended", r.ID, r.Status))
		}
	}
	sort.Strings(problems)
	return problems
}

// checkPaid checks a PAID request against the transfers bound to it that completed.
func checkPaid(r RequestEnd, ends map[string]TransferEnd, paying []TransferEnd) []string {
	t, ok := ends[r.TransferID]
	switch {
	case !ok:
		return []string{fmt.Sprintf("request %s PAID by transfer %q, which the clients never saw end", r.ID, r.TransferID)}
	case t.Status != "COMPLETED":
		return []string{fmt.Sprintf("request %s PAID, but its transfer %s ended %s", r.ID, t.ID, t.Status)}
	case len(paying) != 1 || t.RequestID != r.ID:
		return []string{fmt.Sprintf("request %s PAID by transfer %s, which is not the one transfer bound to it that moved money", r.ID, t.ID)}
	case t.moved() != r.Amount || t.Source != r.PayerWallet || t.Destination != r.PayeeWallet:
		return []string{fmt.Sprintf("request %s PAID %d from %s to %s: transfer %s moved %d from %s to %s",
			r.ID, r.Amount, r.PayerWallet, r.PayeeWallet, t.ID, t.moved(), t.Source, t.Destination)}
	}
	return nil
}
