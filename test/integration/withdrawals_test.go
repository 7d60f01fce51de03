//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sendWithdrawal asks to withdraw amount from a wallet; safe in goroutines.
func sendWithdrawal(token, walletID, key string, amount int64) (reply, error) {
	return send(call{method: "POST", path: "/v1/wallets/" + walletID + "/withdrawals", token: token,
		headers: map[string]string{"Idempotency-Key": key}, body: map[string]any{"amount": amount}})
}

func withdraw(t *testing.T, token, walletID, key string, amount int64) reply {
	t.Helper()
	r, err := sendWithdrawal(token, walletID, key, amount)
	require.NoError(t, err)
	return r
}

// TestWithdrawals: money leaves a wallet for the funding account once per key, out of
// the available balance, within the limits, only by its verified owner, only while
// ACTIVE; the statement shows it, the owner is told, and the ledger still balances.
func TestWithdrawals(t *testing.T) {
	outputs := stackOutputs(t)
	perMax, err := strconv.ParseInt(outputs["WithdrawalMaxMinor"], 10, 64)
	require.NoError(t, err)
	a, wa := funded(t, "withdraw", 10_000)
	stranger, _ := funded(t, "withdraw-stranger", 0)

	first := withdraw(t, a.Token, wa.ID, "withdraw-1", 3_000)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	again := withdraw(t, a.Token, wa.ID, "withdraw-1", 3_000)
	assert.Equal(t, http.StatusCreated, again.Status)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.JSONEq(t, string(first.Body), string(again.Body))
	assert.EqualValues(t, 7_000, getWallet(t, a.Token, wa.ID).Balance, "withdrawn once")
	id := first.JSON(t)["id"].(string)
	var seen []entryView
	for _, e := range allEntries(t, a.Token, wa.ID) {
		if e.PostingID == id {
			seen = append(seen, e)
		}
	}
	require.Len(t, seen, 1)
	assert.EqualValues(t, -3_000, seen[0].Amount)
	assert.Equal(t, "withdrawal", seen[0].Kind)

	unverified := signupUnverified(t, "withdraw-unverified")
	uw := createWallet(t, unverified.Token, "USD")
	tests := []struct {
		name   string
		token  string
		wallet string
		amount int64
		status int
		code   string
	}{
		{"more than the balance", a.Token, wa.ID, 7_001, http.StatusUnprocessableEntity, "insufficient_funds"},
		{"more than one withdrawal may take", a.Token, wa.ID, perMax + 1, http.StatusUnprocessableEntity, "limit_exceeded"},
		{"someone else's wallet", stranger.Token, wa.ID, 100, http.StatusNotFound, "not_found"},
		{"an admin, for someone else's wallet", adminToken(t), wa.ID, 100, http.StatusNotFound, "not_found"},
		{"an unverified owner", unverified.Token, uw.ID, 100, http.StatusForbidden, "email_not_verified"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := withdraw(t, tt.token, tt.wallet, fmt.Sprint("withdraw-refused-", i), tt.amount)
			assert.Equal(t, tt.status, r.Status, "%s", r.Body)
			assert.Equal(t, tt.code, r.ErrorCode())
		})
	}

	admin := adminToken(t)
	fr := do(t, call{method: "PATCH", path: "/v1/wallets/" + wa.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "withdrawal test"}})
	require.Equal(t, http.StatusOK, fr.Status, "%s", fr.Body)
	r := withdraw(t, a.Token, wa.ID, "withdraw-frozen", 100)
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	assert.Equal(t, "wallet_not_active", r.ErrorCode())
	un := do(t, call{method: "PATCH", path: "/v1/wallets/" + wa.ID, token: admin, body: map[string]string{"status": "ACTIVE", "reason": "withdrawal test"}})
	require.Equal(t, http.StatusOK, un.Status, "%s", un.Body)
	assert.EqualValues(t, 7_000, getWallet(t, a.Token, wa.ID).Balance, "refusals moved nothing")

	eventually(t, eventDeadline(), "the owner is told of the withdrawal once", func() bool {
		n := 0
		for _, it := range notifications(t, a.Token).Items {
			if it.Type == "withdrawal.completed" && strings.HasPrefix(it.Message, "You withdrew ") {
				n++
			}
		}
		return n == 1
	})
	requireLedgerConsistent(t)
}

// TestConcurrentWithdrawalsNeverOverdraw: withdrawals racing for one balance are each
// a conditional write on it: exactly as many as the balance covers succeed.
func TestConcurrentWithdrawalsNeverOverdraw(t *testing.T) {
	const racers, amount = 8, 600
	a, wa := funded(t, "withdraw-race", 2_000)
	replies := concurrently(t, racers, func(i int) (reply, error) {
		return sendWithdrawal(a.Token, wa.ID, fmt.Sprint("withdraw-race-", i), amount)
	})
	ok := 0
	for _, r := range replies {
		switch r.Status {
		case http.StatusCreated:
			ok++
		default:
			assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
			assert.Equal(t, "insufficient_funds", r.ErrorCode())
		}
	}
	assert.Equal(t, 3, ok, "2,000 covers three withdrawals of 600")
	assert.EqualValues(t, 2_000-3*amount, getWallet(t, a.Token, wa.ID).Balance)
	requireLedgerConsistent(t)
}
