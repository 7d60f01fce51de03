package reward_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
)

// completedEvent is a transfer.completed event from u-payer to u-payee (a refund when
// refundOf is set: then it goes from u-payee back to u-payer).
func completedEvent(id string, amount int64, refundOf string) event.Event {
	p := event.Payload{TransferID: id, Status: "COMPLETED", AmountMinor: amount, Currency: "USD", Mode: "immediate",
		SourceOwnerID: "u-payer", DestinationOwnerID: "u-payee", RefundOf: refundOf}
	if refundOf != "" {
		p.SourceOwnerID, p.DestinationOwnerID = "u-payee", "u-payer"
	}
	return event.Event{ID: "transfer:" + id + ":completed", Type: event.TransferCompleted,
		Time: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), Payload: p}
}

func points(t *testing.T, s *fakeStore, user string) (int64, int64) {
	t.Helper()
	p, owed, err := s.Points(context.Background(), user, "USD")
	require.NoError(t, err)
	return p, owed
}

// TestPointsFollowTheMoney: a payment refunded in full, in any split, in any order of
// events, delivered any number of times, leaves the payer's points where they were; a
// partial refund takes back its share; the payee earns nothing for refunding.
func TestPointsFollowTheMoney(t *testing.T) {
	tests := []struct {
		name        string
		refunds     []int64 // of a 100.00 USD payment (100 points)
		refundFirst bool    // the refunds' events come before the payment's
		spent       int64   // points the payer redeemed before the refunds
		wantPoints  int64
		wantOwed    int64
	}{
		{name: "full refund", refunds: []int64{10_000}, wantPoints: 0},
		{name: "full refund in three parts", refunds: []int64{3_333, 3_333, 3_334}, wantPoints: 0},
		{name: "a hundred refunds of a dollar", refunds: repeat(100, 100), wantPoints: 0},
		{name: "half refunded", refunds: []int64{5_000}, wantPoints: 50},
		{name: "a third refunded rounds the take up", refunds: []int64{3_333}, wantPoints: 66},
		{name: "refunded before the payment's event", refunds: []int64{10_000}, refundFirst: true, wantPoints: 0},
		{name: "half refunded before the payment's event", refunds: []int64{2_500, 2_500}, refundFirst: true, wantPoints: 50},
		{name: "points spent: the rest is owed", refunds: []int64{10_000}, spent: 70, wantPoints: 0, wantOwed: 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := &fakeStore{}
			svc := newService(store, &idemtest.Store{})
			var evs []event.Event
			for i, r := range tt.refunds {
				evs = append(evs, completedEvent(fmt.Sprint("refund-", i), r, "paid"))
			}
			if tt.refundFirst {
				evs = append(evs, completedEvent("paid", 10_000, ""))
			} else {
				evs = append([]event.Event{completedEvent("paid", 10_000, "")}, evs...)
			}
			for i, e := range evs {
				require.NoError(t, svc.Handle(ctx, e))
				require.NoError(t, svc.Handle(ctx, e), "delivered twice")
				if i == 0 && !tt.refundFirst && tt.spent > 0 {
					store.mu.Lock()
					store.points["u-payer/USD"] -= tt.spent
					store.mu.Unlock()
				}
			}
			p, owed := points(t, store, "u-payer")
			assert.Equal(t, tt.wantPoints, p, "points")
			assert.Equal(t, tt.wantOwed, owed, "owed")
			payee, _ := points(t, store, "u-payee")
			assert.Zero(t, payee, "refunding earns the payee nothing")
		})
	}
}

// TestOwedPointsComeOutOfLaterEarnings: points a refund could not take (they were spent)
// are owed, and the next earnings pay them off before the balance grows.
func TestOwedPointsComeOutOfLaterEarnings(t *testing.T) {
	ctx := context.Background()
	store := &fakeStore{}
	svc := newService(store, &idemtest.Store{})
	require.NoError(t, svc.Handle(ctx, completedEvent("paid", 10_000, "")))
	store.mu.Lock()
	store.points["u-payer/USD"] = 0 // all 100 redeemed
	store.mu.Unlock()
	require.NoError(t, svc.Handle(ctx, completedEvent("refund", 10_000, "paid")))
	p, owed := points(t, store, "u-payer")
	assert.Equal(t, []int64{0, 100}, []int64{p, owed})

	require.NoError(t, svc.Handle(ctx, completedEvent("next", 6_000, "")))
	p, owed = points(t, store, "u-payer")
	assert.Equal(t, []int64{0, 40}, []int64{p, owed}, "60 earned, all of it repays")
	require.NoError(t, svc.Handle(ctx, completedEvent("after", 5_000, "")))
	p, owed = points(t, store, "u-payer")
	assert.Equal(t, []int64{10, 0}, []int64{p, owed}, "50 earned: 40 repay, 10 kept")
}

func repeat(n int, v int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
