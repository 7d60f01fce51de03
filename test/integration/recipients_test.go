//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toPerson is a transfer body naming its destination by email.
func toPerson(src, email string, amount int64) map[string]any {
	return map[string]any{"source_wallet_id": src, "recipient": map[string]string{"email": email}, "amount": amount, "currency": "USD"}
}

// TestSendToAPerson: a transfer to an email pays that person's USD wallet, with the
// statement, notification and replay of any transfer.
func TestSendToAPerson(t *testing.T) {
	a, wa := funded(t, "person-payer", 5_000)
	b, wb := funded(t, "person-payee", 0)

	r := postTransfer(t, a.Token, "person-1-"+runID, toPerson(wa.ID, b.Email, 1_250))
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var v transferView
	decode(t, r, &v)
	assert.Equal(t, "COMPLETED", v.Status)
	assert.Equal(t, wb.ID, v.DestinationWalletID, "the person's USD wallet")
	again := postTransfer(t, a.Token, "person-1-"+runID, toPerson(wa.ID, b.Email, 1_250))
	assert.Equal(t, http.StatusCreated, again.Status)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, v.ID, transferIDOf(t, again), "the same key is the same transfer")

	assert.EqualValues(t, 5_000-1_250, getWallet(t, a.Token, wa.ID).Balance)
	assert.EqualValues(t, 1_250, getWallet(t, b.Token, wb.ID).Balance)
	entries := allEntries(t, b.Token, wb.ID)
	require.NotEmpty(t, entries)
	assert.EqualValues(t, 1_250, entries[0].Amount, "on the payee's statement")
	eventually(t, eventDeadline(), "the payee is notified", func() bool {
		return countOf(notifications(t, b.Token), "transfer.completed", v.ID) == 1
	})

	for name, body := range map[string]map[string]any{
		"both":    {"source_wallet_id": wa.ID, "destination_wallet_id": wb.ID, "recipient": map[string]string{"email": b.Email}, "amount": 1, "currency": "USD"},
		"neither": {"source_wallet_id": wa.ID, "amount": 1, "currency": "USD"},
	} {
		t.Run(name, func(t *testing.T) {
			r := postTransfer(t, a.Token, "person-bad-"+name+"-"+runID, body)
			assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
		})
	}
	requireLedgerConsistent(t)
}

// TestRecipientUnavailableIsOneAnswer: every address that cannot receive gets the very
// same answer, byte for byte, and nothing moves.
func TestRecipientUnavailableIsOneAnswer(t *testing.T) {
	a, wa := funded(t, "person-oracle", 5_000)
	unverified := signupUnverified(t, "person-unverified")
	noUSD := signupAndLogin(t, "person-eur")
	createWallet(t, noUSD.Token, "EUR")
	frozen, wf := funded(t, "person-frozen", 0)
	admin := adminToken(t)
	fr := do(t, call{method: "PATCH", path: "/v1/wallets/" + wf.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "recipient test"}})
	require.Equal(t, http.StatusOK, fr.Status, "%s", fr.Body)

	cases := []struct{ name, email string }{
		{"unknown address", newEmail("person-nobody")},
		{"unverified account", unverified.Email},
		{"no wallet in the currency", noUSD.Email},
		{"frozen wallet", frozen.Email},
	}
	var first reply
	for i, c := range cases {
		r := postTransfer(t, a.Token, fmt.Sprintf("person-unable-%d-%s", i, runID), toPerson(wa.ID, c.email, 100))
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", c.name, r.Body)
		assert.Equal(t, "recipient_unavailable", r.ErrorCode(), c.name)
		if i == 0 {
			first = r
			continue
		}
		assert.Equal(t, string(first.Body), string(r.Body), "%s answers as %s, byte for byte", c.name, cases[0].name)
		assert.Equal(t, first.Header.Get("Content-Type"), r.Header.Get("Content-Type"), c.name)
		assert.Equal(t, first.Header.Get("Idempotent-Replayed"), r.Header.Get("Idempotent-Replayed"), c.name)
	}
	assert.EqualValues(t, 5_000, getWallet(t, a.Token, wa.ID).Balance, "nothing moved")
	un := do(t, call{method: "PATCH", path: "/v1/wallets/" + wf.ID, token: admin, body: map[string]string{"status": "ACTIVE", "reason": "recipient test"}})
	require.Equal(t, http.StatusOK, un.Status, "%s", un.Body)
}

// recipientLookupsPerHour is the deployment's RecipientLookupsPerHour (the template's
// default; the local deployment keeps it).
const recipientLookupsPerHour = 30

// TestRecipientLookupsAreCounted: a caller's transfers to people are counted per hour,
// answered or not; past the quota they are refused before any lookup.
func TestRecipientLookupsAreCounted(t *testing.T) {
	a, wa := funded(t, "person-counted", 5_000)
	for i := range recipientLookupsPerHour {
		r := postTransfer(t, a.Token, fmt.Sprintf("person-count-%d-%s", i, runID), toPerson(wa.ID, newEmail("person-probe"), 1))
		require.Equal(t, "recipient_unavailable", r.ErrorCode(), "lookup %d: %s", i+1, r.Body)
	}
	over := func(key string, body map[string]any) reply { // once: send would wait out the hour's Retry-After
		return do(t, call{method: "POST", path: "/v1/transfers", token: a.Token, headers: map[string]string{"Idempotency-Key": key},
			body: body, once: true})
	}
	r := over("person-count-over-"+runID, toPerson(wa.ID, newEmail("person-probe"), 1))
	assert.Equal(t, http.StatusTooManyRequests, r.Status, "%s", r.Body)
	assert.Equal(t, "rate_limited", r.ErrorCode())
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	b, wb := funded(t, "person-counted-b", 0)
	r = over("person-count-known-"+runID, toPerson(wa.ID, b.Email, 1))
	assert.Equal(t, http.StatusTooManyRequests, r.Status, "a known address is refused the same: %s", r.Body)
	assert.Zero(t, getWallet(t, b.Token, wb.ID).Balance)
}
