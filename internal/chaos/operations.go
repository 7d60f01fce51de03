package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"

	"github.com/google/uuid"
)

// The workload's operations: each sends one request (and, for a transfer, waits for its
// end) and records what it expects the ledger to show for it.

// Operation mix, in percent.
const (
	shareCredit      = 25
	shareTransfer    = 29
	shareHold        = 18
	shareRefund      = 8
	shareWithdrawal  = 5
	shareRequest     = 10 // the rest are redemptions
	shareReplay      = 10 // of successful credits, replayed to compare the answers
	creditMaxMinor   = 20_000
	transferMaxMinor = 5_000
	holdExpirySecs   = 600
)

func (w *Workload) step(ctx context.Context, rng *rand.Rand, u User) {
	switch n := rng.IntN(100); {
	case n < shareCredit:
		w.credit(ctx, rng, u)
	case n < shareCredit+shareTransfer:
		w.transfer(ctx, rng, u, immediate)
	case n < shareCredit+shareTransfer+shareHold:
		w.transfer(ctx, rng, u, asHold)
	case n < shareCredit+shareTransfer+shareHold+shareRefund:
		w.refund(ctx, rng, u)
	case n < shareCredit+shareTransfer+shareHold+shareRefund+shareWithdrawal:
		w.withdraw(ctx, rng, u)
	case n < shareCredit+shareTransfer+shareHold+shareRefund+shareWithdrawal+shareRequest:
		w.request(ctx, rng, u)
	default:
		w.redeem(ctx, rng, u)
	}
}

// created reports whether a money write of kind op was answered 201 Created; any other
// answer is counted by status and code, and no answer at all (err: the retries ran
// out) leaves the write undetermined for the money check.
func (w *Workload) created(op, key string, r Reply, err error) bool {
	if err != nil {
		w.undetermined(op+" "+key, err)
		return false
	}
	if r.Status != http.StatusCreated {
		w.count(fmt.Sprintf("%s %d %s", op, r.Status, r.Code()))
		return false
	}
	return true
}

func (w *Workload) credit(ctx context.Context, rng *rand.Rand, u User) {
	key := uuid.NewString()
	amount := 1 + rng.Int64N(creditMaxMinor)
	path := "/v1/wallets/" + u.WalletID + "/credits"
	body := map[string]int64{"amount": amount}
	r, err := w.API.Settle(ctx, "POST", path, u.Token, key, body)
	if !w.created("credit", key, r, err) {
		return
	}
	w.mu.Lock()
	w.exp.Credits[key] = amount
	w.exp.Ops["credit 201"]++
	w.mu.Unlock()
	if rng.IntN(100) < shareReplay {
		again, err := w.API.Settle(ctx, "POST", path, u.Token, key, body)
		w.mu.Lock()
		w.exp.Replays++
		if err != nil || again.Status != r.Status || string(again.Body) != string(r.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			w.exp.Mismatches = append(w.exp.Mismatches, fmt.Sprintf("credit %s: first %d %s, replay %d %s (err %v)", key, r.Status, r.Body, again.Status, again.Body, err))
		}
		w.mu.Unlock()
	}
}

// transferView is the part of a transfer answer the workload reads.
type transferView struct {
	ID                  string `json:"id"`
	Status              string `json:"status"`
	Amount              int64  `json:"amount"`
	CapturedAmount      *int64 `json:"captured_amount"`
	SourceWalletID      string `json:"source_wallet_id"`
	DestinationWalletID string `json:"destination_wallet_id"`
	RefundOf            string `json:"refund_of"`
	PaymentRequestID    string `json:"payment_request_id"`
	Error               struct {
		Code    string `json:"code"`
		Details struct {
			TransferID string `json:"transfer_id"`
		} `json:"details"`
	} `json:"error"`
}

// transferMode is how the workload sends a transfer: moved at once, or held first.
type transferMode int

const (
	immediate transferMode = iota
	asHold
)

func (w *Workload) transfer(ctx context.Context, rng *rand.Rand, u User, mode transferMode) {
	payee := w.other(rng, u)
	body := map[string]any{"source_wallet_id": u.WalletID, "destination_wallet_id": payee.WalletID,
		"amount": 1 + rng.Int64N(transferMaxMinor), "currency": "USD"}
	kind := "transfer"
	if mode == asHold {
		kind = "hold"
		body["mode"] = "hold"
		body["hold_expires_in_seconds"] = holdExpirySecs
	}
	key := uuid.NewString()
	r, err := w.API.Settle(ctx, "POST", "/v1/transfers", u.Token, key, body)
	if err != nil {
		w.undetermined(kind+" "+key, err)
		return
	}
	var v transferView
	if err := r.Decode(&v); err != nil {
		w.unreadable(kind+" "+key, err)
		return
	}
	id := v.ID
	if id == "" {
		id = v.Error.Details.TransferID
	}
	w.count(fmt.Sprintf("%s %d %s%s", kind, r.Status, v.Status, v.Error.Code))
	if id == "" {
		return // refused before a transfer existed
	}
	w.mu.Lock()
	w.exp.Transfers[id] = u
	if mode == immediate && v.Status == "COMPLETED" {
		w.received[payee.WalletID] = append(w.received[payee.WalletID], paid{id: id, amount: v.Amount})
	}
	w.mu.Unlock()
	if mode != asHold {
		return
	}
	status := v.Status
	if status == "PENDING" {
		status = w.await(ctx, u, id, func(s string) bool { return s != "PENDING" }).Status
	}
	if status != "HELD" {
		return
	}
	w.resolve(ctx, rng, u, id, v.Amount)
}

// resolve captures a held transfer (fully or partly) or voids it.
func (w *Workload) resolve(ctx context.Context, rng *rand.Rand, u User, id string, amount int64) {
	key := uuid.NewString()
	var r Reply
	var err error
	var op string
	switch rng.IntN(3) {
	case 0:
		op = "void"
		r, err = w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/void", u.Token, key, nil)
	case 1:
		op = "capture all"
		r, err = w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/capture", u.Token, key, nil)
	default:
		op = "capture part"
		r, err = w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/capture", u.Token, key, map[string]int64{"amount": 1 + rng.Int64N(amount)})
	}
	if err != nil {
		w.undetermined(op+" "+id, err)
		return
	}
	w.count(fmt.Sprintf("%s %d %s", op, r.Status, r.Code()))
}

func (w *Workload) redeem(ctx context.Context, rng *rand.Rand, u User) {
	r, err := w.API.Settle(ctx, "GET", "/v1/rewards", u.Token, "", nil)
	if err != nil || r.Status != http.StatusOK {
		w.count("rewards read failed")
		return
	}
	var rw struct {
		Balances []struct {
			Currency string `json:"currency"`
			Points   int64  `json:"points"`
		} `json:"balances"`
	}
	if err := r.Decode(&rw); err != nil {
		w.unreadable("rewards of "+u.ID, err)
		return
	}
	var points int64
	for _, b := range rw.Balances {
		if b.Currency == "USD" {
			points = b.Points
		}
	}
	if points < 1 {
		w.count("redeem skipped: no points")
		return
	}
	key := uuid.NewString()
	r, err = w.API.Settle(ctx, "POST", "/v1/rewards/redeem", u.Token, key, map[string]any{"points": 1 + rng.Int64N(points), "wallet_id": u.WalletID})
	if !w.created("redeem", key, r, err) {
		return
	}
	var red struct {
		Amount int64 `json:"amount"`
	}
	if err := r.Decode(&red); err != nil {
		w.undetermined("redeem "+key, err)
		return
	}
	w.mu.Lock()
	w.exp.Redemptions[key] = red.Amount
	w.exp.Ops["redeem 201"]++
	w.mu.Unlock()
}
