//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type refundedView struct {
	transferView
	RefundOf string `json:"refund_of"`
	Refunds  *struct {
		Amount      int64    `json:"amount"`
		TransferIDs []string `json:"transfer_ids"`
	} `json:"refunds"`
}

// sendRefund asks for a refund of amount of transfer id; safe in goroutines.
func sendRefund(token, id, key string, amount int64) (reply, error) {
	return send(call{method: "POST", path: "/v1/transfers/" + id + "/refunds", token: token,
		headers: map[string]string{"Idempotency-Key": key}, body: map[string]any{"amount": amount}})
}

func refund(t *testing.T, token, id, key string, amount int64) reply {
	t.Helper()
	r, err := sendRefund(token, id, key, amount)
	require.NoError(t, err)
	return r
}

func refunded(t *testing.T, token, id string) refundedView {
	t.Helper()
	return get[refundedView](t, token, "/v1/transfers/"+id)
}

// TestRefunds: the payee gives back a completed payment in parts, never more than it
// moved; only the payee may; a refund is itself a transfer, linked both ways.
func TestRefunds(t *testing.T) {
	a, wa := funded(t, "refund-payer", 5_000)
	b, wb := funded(t, "refund-payee", 0)
	stranger, _ := funded(t, "refund-stranger", 0)
	paid := createTransfer(t, a.Token, "refund-paid", transferBody(wa.ID, wb.ID, 1_000))
	require.Equal(t, "COMPLETED", paid.Status)

	first := refund(t, b.Token, paid.ID, "refund-1", 300)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	var r1 refundedView
	decode(t, first, &r1)
	assert.Equal(t, "COMPLETED", r1.Status)
	assert.Equal(t, paid.ID, r1.RefundOf)
	assert.Equal(t, []string{wb.ID, wa.ID}, []string{r1.SourceWalletID, r1.DestinationWalletID}, "from the payee back to the payer")
	again := refund(t, b.Token, paid.ID, "refund-1", 300)
	assert.Equal(t, http.StatusCreated, again.Status)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, r1.ID, transferIDOf(t, again), "the same key is the same refund")

	tests := []struct {
		name   string
		token  string
		id     string
		amount int64
		status int
		code   string
	}{
		{"more than the rest", b.Token, paid.ID, 701, http.StatusUnprocessableEntity, "refund_exceeds_amount"},
		{"the payer", a.Token, paid.ID, 100, http.StatusForbidden, "not_payee"},
		{"someone else", stranger.Token, paid.ID, 100, http.StatusNotFound, "not_found"},
		{"a refund of the refund", a.Token, r1.ID, 100, http.StatusUnprocessableEntity, "transfer_not_refundable"},
		{"nothing (refused at the gateway)", b.Token, paid.ID, 0, http.StatusBadRequest, "invalid_body"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := refund(t, tt.token, tt.id, fmt.Sprint("refund-refused-", i), tt.amount)
			assert.Equal(t, tt.status, r.Status, "%s", r.Body)
			assert.Equal(t, tt.code, r.ErrorCode())
		})
	}

	unverified := signupUnverified(t, "refund-unverified")
	r := refund(t, unverified.Token, paid.ID, "refund-unverified", 100)
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "email_not_verified", r.ErrorCode(), "refunds are money moves: verified accounts only")

	rest := refund(t, b.Token, paid.ID, "refund-2", 700)
	require.Equal(t, http.StatusCreated, rest.Status, "%s", rest.Body)
	got := refunded(t, a.Token, paid.ID)
	require.NotNil(t, got.Refunds)
	assert.EqualValues(t, 1_000, got.Refunds.Amount)
	assert.Equal(t, []string{r1.ID, transferIDOf(t, rest)}, got.Refunds.TransferIDs)
	assert.Equal(t, "refund_exceeds_amount", refund(t, b.Token, paid.ID, "refund-3", 1).ErrorCode(), "refunded in full")
	assert.EqualValues(t, 5_000, getWallet(t, a.Token, wa.ID).Balance)
	assert.Zero(t, getWallet(t, b.Token, wb.ID).Balance)
	requireLedgerConsistent(t)
}

// TestRefundNeedsThePayeesMoneyAndAnActiveWallet: a refund comes only out of the
// payee's available balance, and not while the payee's wallet is FROZEN.
func TestRefundNeedsThePayeesMoneyAndAnActiveWallet(t *testing.T) {
	a, wa := funded(t, "refund-short-a", 1_000)
	b, wb := funded(t, "refund-short-b", 0)
	paid := createTransfer(t, a.Token, "refund-short-paid", transferBody(wa.ID, wb.ID, 1_000))
	createTransfer(t, b.Token, "refund-short-spent", transferBody(wb.ID, wa.ID, 800)) // the payee spent most of it

	r := refund(t, b.Token, paid.ID, "refund-short", 500)
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	assert.Equal(t, "insufficient_funds", r.ErrorCode())

	admin := adminToken(t)
	fr := do(t, call{method: "PATCH", path: "/v1/wallets/" + wb.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "refund test"}})
	require.Equal(t, http.StatusOK, fr.Status, "%s", fr.Body)
	r = refund(t, b.Token, paid.ID, "refund-frozen", 100)
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	assert.Equal(t, "wallet_not_active", r.ErrorCode())
	un := do(t, call{method: "PATCH", path: "/v1/wallets/" + wb.ID, token: admin, body: map[string]string{"status": "ACTIVE", "reason": "refund test"}})
	require.Equal(t, http.StatusOK, un.Status, "%s", un.Body)

	assert.EqualValues(t, 200, getWallet(t, b.Token, wb.ID).Balance, "nothing was refunded")
	assert.Nil(t, refunded(t, a.Token, paid.ID).Refunds)
	requireLedgerConsistent(t)
}

// TestRacingRefundsNeverExceedTheAmount: refunds that all passed the request's check
// (each alone fits) race to post; the post step is delayed so that every refund has
// reserved before any posts. The database condition in the post's transaction lets
// exactly one through: the others FAIL with refund_exceeds_amount and give their
// holds back.
//
// Serial: it writes CONTROL/FAULTS, which every saga reads.
func TestRacingRefundsNeverExceedTheAmount(t *testing.T) {
	const racers = 4
	isolateBreaker(t)
	a, wa := funded(t, "refund-race-a", 1_000)
	b, wb := funded(t, "refund-race-b", 2_400) // enough to reserve every racer
	paid := createTransfer(t, a.Token, "refund-race-paid", transferBody(wa.ID, wb.ID, 1_000))
	withFaults(t, stepFaults{"post": {Mode: "delay", DelayMs: 2_000}})

	replies := concurrently(t, racers, func(i int) (reply, error) {
		return sendRefund(b.Token, paid.ID, fmt.Sprint("refund-race-", i), 600)
	})
	clearFaults(t)
	completed := 0
	for _, r := range replies {
		id, err := transferIDIn(r)
		require.NoError(t, err, "every racer passed the request's check and was created")
		v := waitFinal(t, b.Token, id)
		switch v.Status {
		case "COMPLETED":
			completed++
		default:
			assert.Equal(t, "FAILED", v.Status)
			assert.Equal(t, "refund_exceeds_amount", v.FailureReason)
		}
	}
	assert.Equal(t, 1, completed, "exactly one refund of 600 fits in 1,000")
	got := refunded(t, a.Token, paid.ID)
	require.NotNil(t, got.Refunds)
	assert.EqualValues(t, 600, got.Refunds.Amount)
	w := getWallet(t, b.Token, wb.ID)
	assert.EqualValues(t, 2_400+1_000-600, w.Balance)
	assert.Zero(t, w.Held, "the refused refunds' holds were given back")
	assert.EqualValues(t, 600, getWallet(t, a.Token, wa.ID).Balance)
	requireLedgerConsistent(t)
}

// TestPayAndRefundEarnsNothing: the payer's points on a payment are taken back when it
// is refunded, in parts, so a pay-and-refund round trip leaves the points where they
// were, and the payee earns nothing for refunding.
func TestPayAndRefundEarnsNothing(t *testing.T) {
	a, wa := funded(t, "refund-points-a", 10_000)
	b, wb := funded(t, "refund-points-b", 0)
	paid := createTransfer(t, a.Token, "refund-points-paid", transferBody(wa.ID, wb.ID, 10_000)) // earns 100 points
	eventually(t, eventDeadline(), "the payment earned", func() bool { return rewards(t, a.Token).PointsBalance() == 100 })
	for i, amount := range []int64{3_333, 3_333, 3_334} {
		r := refund(t, b.Token, paid.ID, fmt.Sprint("refund-points-", i), amount)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	}
	eventually(t, eventDeadline(), "the refunds took the points back", func() bool { return rewards(t, a.Token).PointsBalance() == 0 })
	consistently(t, 3*time.Second, "the round trip earns nothing, the refunds earn nothing", func() bool {
		return rewards(t, a.Token).PointsBalance() == 0 && rewards(t, b.Token).PointsBalance() == 0
	})
	var clawed int64
	for _, it := range rewards(t, a.Token).Items {
		if it.Kind == "clawback" {
			clawed -= it.Points
		}
	}
	assert.EqualValues(t, 100, clawed, "the history shows what was taken back")
	assert.EqualValues(t, 10_000, getWallet(t, a.Token, wa.ID).Balance)
	assert.Zero(t, getWallet(t, b.Token, wb.ID).Balance)
}
