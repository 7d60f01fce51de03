//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// completeTransfer sends a transfer and waits until it is COMPLETED.
func completeTransfer(t *testing.T, token, key string, body map[string]any) {
	t.Helper()
	r := postTransfer(t, token, key, body)
	require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, r.Status, "%s", r.Body)
	v := waitFinal(t, token, transferIDOf(t, r))
	require.Equal(t, "COMPLETED", v.Status)
}

func redeem(t *testing.T, token, key, walletID string, points int64) reply {
	t.Helper()
	return do(t, call{method: "POST", path: "/v1/rewards/redeem", token: token, headers: map[string]string{"Idempotency-Key": key},
		body: map[string]any{"points": points, "wallet_id": walletID}})
}

// TestRoundTripsEarnNoMoreThanTheDailyCap passes the same money back and forth between
// two users 20 times: every hop completes, and each user earns exactly the daily cap,
// however many hops there were.
func TestRoundTripsEarnNoMoreThanTheDailyCap(t *testing.T) {
	const roundTrips, amount = 20, 15_000 // $150 earns 150 points a hop
	dayMax, err := strconv.ParseInt(stackOutputs(t)["RewardPointsPerDayMax"], 10, 64)
	require.NoError(t, err)
	require.Greater(t, int64(roundTrips)*amount/100, dayMax, "the hops must earn more than the cap for the test to mean anything")
	a, wa := funded(t, "farm-a", amount)
	b := signupAndLogin(t, "farm-b")
	wb := createWallet(t, b.Token, "USD")
	for i := range roundTrips {
		completeTransfer(t, a.Token, fmt.Sprintf("there-%d", i), transferBody(wa.ID, wb.ID, amount))
		completeTransfer(t, b.Token, fmt.Sprintf("back-%d", i), transferBody(wb.ID, wa.ID, amount))
	}
	// Each completed transfer notifies its payer and payee: once all 40 are there, every
	// event has passed the publisher; the rewards consumer follows within the deadline.
	eventually(t, eventDeadline(), "both users earned the cap", func() bool {
		return rewards(t, a.Token).PointsBalance() == dayMax && rewards(t, b.Token).PointsBalance() == dayMax
	})
	eventually(t, eventDeadline(), "every transfer.completed event was handled", func() bool {
		n := 0
		for _, it := range notifications(t, a.Token).Items {
			if it.Type == "transfer.completed" {
				n++
			}
		}
		return n == 2*roundTrips
	})
	consistently(t, 3*time.Second, "nothing is earned past the cap", func() bool {
		return rewards(t, a.Token).PointsBalance() == dayMax && rewards(t, b.Token).PointsBalance() == dayMax
	})
	assert.Equal(t, int64(amount), getWallet(t, a.Token, wa.ID).Balance, "the money itself went back and forth")
}

// TestPointsArePerCurrency earns points in a currency without minor units (JPY) and
// redeems them: a yen earns one point, 100 points redeem as one yen, and points of one
// currency redeem only into a wallet of that currency.
func TestPointsArePerCurrency(t *testing.T) {
	const yen = 250 // earns 250 JPY points
	a := signupAndLogin(t, "jpy-a")
	jpy := createWallet(t, a.Token, "JPY")
	usd := createWallet(t, a.Token, "USD")
	r := credit(t, a.Token, jpy.ID, "fund-jpy", 1_000)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	b := signupAndLogin(t, "jpy-b")
	jpyB := createWallet(t, b.Token, "JPY")

	completeTransfer(t, a.Token, "yen", map[string]any{"source_wallet_id": jpy.ID, "destination_wallet_id": jpyB.ID, "amount": yen, "currency": "JPY"})
	eventually(t, eventDeadline(), "250 JPY points", func() bool { return rewards(t, a.Token).points("JPY") == yen })
	page := rewards(t, a.Token)
	assert.Zero(t, page.points("USD"), "yen earn yen points only")
	require.NotEmpty(t, page.Items)
	assert.Equal(t, "JPY", page.Items[0].Currency)

	r = redeem(t, a.Token, "half-a-yen", jpy.ID, 150)
	assert.Equal(t, http.StatusBadRequest, r.Status, "150 points are 1.5 yen: %s", r.Body)
	assert.Equal(t, "invalid_points", r.ErrorCode())

	r = redeem(t, a.Token, "into-usd", usd.ID, 100)
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "JPY points do not redeem as dollars: %s", r.Body)
	assert.Equal(t, "insufficient_points", r.ErrorCode())

	before := getWallet(t, a.Token, jpy.ID).Balance
	r = redeem(t, a.Token, "two-yen", jpy.ID, 200)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	assert.EqualValues(t, 2, r.JSON(t)["amount"], "200 points are 2 yen")
	assert.Equal(t, before+2, getWallet(t, a.Token, jpy.ID).Balance)
	assert.Equal(t, int64(yen-200), rewards(t, a.Token).points("JPY"))
	requireLedgerConsistent(t)
}
