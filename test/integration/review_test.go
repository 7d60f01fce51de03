//go:build integration

package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type deskItem struct {
	transferView
	Money struct {
		Reserved     bool   `json:"reserved"`
		Released     bool   `json:"released"`
		Posted       bool   `json:"posted"`
		HoldOpen     int64  `json:"hold_open_amount"`
		HoldWalletID string `json:"hold_wallet_id"`
		PostingID    string `json:"posting_id"`
	} `json:"money"`
	Review *struct {
		OpenedAt time.Time `json:"opened_at"`
		Error    string    `json:"error"`
		Cause    string    `json:"cause"`
	} `json:"review"`
}

type auditRecord struct {
	Action     string          `json:"action"`
	ActorID    string          `json:"actor_id"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Reason     string          `json:"reason"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	RequestID  string          `json:"request_id"`
}

// reviewCaseWait bounds the wait for the review consumer to record a case: the queue
// redelivers a message that came before its transfer was marked NEEDS_REVIEW after the
// queue's visibility timeout (5 s locally).
const reviewCaseWait = 60 * time.Second

// openCase waits until the review desk lists the transfer, and returns its item.
func openCase(t *testing.T, id string) deskItem {
	t.Helper()
	var found deskItem
	err := pollUntil(time.Now().Add(reviewCaseWait), 500*time.Millisecond, func() (bool, error) {
		var page struct {
			Items []deskItem `json:"items"`
		}
		if err := getJSON(adminToken(t), "/v1/admin/transfers?status=NEEDS_REVIEW&limit=100", &page); err != nil {
			return false, err
		}
		for _, it := range page.Items {
			if it.ID == id {
				found = it
				return true, nil
			}
		}
		return false, nil
	})
	require.NoError(t, err, "transfer %s never reached the review desk", id)
	return found
}

// resolve sends an admin's resolve with the key key+"-"+id: every run has one admin,
// whose keys must not meet another run's.
func resolve(t *testing.T, id, key, action, reason string) reply {
	t.Helper()
	return do(t, call{method: "POST", path: "/v1/admin/transfers/" + id + "/resolve", token: adminToken(t),
		headers: map[string]string{"Idempotency-Key": key + "-" + id}, body: map[string]string{"action": action, "reason": reason}})
}

func auditOf(t *testing.T, target string) []auditRecord {
	t.Helper()
	var page struct {
		Items []auditRecord `json:"items"`
	}
	require.NoError(t, getJSON(adminToken(t), "/v1/admin/audit?target="+target, &page))
	return page.Items
}

func statusIn(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s struct {
		Status string `json:"status"`
	}
	require.NoError(t, json.Unmarshal(raw, &s), "%s", raw)
	return s.Status
}

// TestReviewDesk forces transfers into NEEDS_REVIEW with a fault in each compensation
// step, finds them on the desk and resolves them with each allowed action, checking the
// money, the ledger, the refusals, a replayed key and the audit trail.
//
// It runs serially (no t.Parallel): it writes CONTROL/FAULTS, which every saga reads.
func TestReviewDesk(t *testing.T) {
	isolateBreaker(t)

	t.Run("the desk shows each case with where its money is", func(t *testing.T) {
		held := newReviewCase(t, "shown-held", holdLeftOpen)
		released := newReviewCase(t, "shown-released", holdReleased)
		it := openCase(t, held.id)
		assert.True(t, it.Money.Reserved)
		assert.False(t, it.Money.Released)
		assert.EqualValues(t, reviewAmount, it.Money.HoldOpen)
		assert.Equal(t, held.from.ID, it.Money.HoldWalletID)
		require.NotNil(t, it.Review)
		assert.Equal(t, "Transient", it.Review.Error, "the error that stopped the compensation")
		assert.NotEmpty(t, it.Steps, "with its saga steps")
		it = openCase(t, released.id)
		assert.False(t, it.Money.Reserved)
		assert.Zero(t, it.Money.HoldOpen)
	})

	t.Run("a hold the payer never captured is not posted by the desk", func(t *testing.T) {
		c := newReviewCase(t, "uncaptured", holdUncaptured)
		r := resolve(t, c.id, "review-uncaptured-complete", "complete", "paying it out by hand")
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		assert.Equal(t, "hold_not_captured", r.ErrorCode())
		assert.Zero(t, getWallet(t, c.payee.Token, c.to.ID).Balance, "nothing moved")

		r = resolve(t, c.id, "review-uncaptured-retry", "retry", "handing the hold back to the payer")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "HELD", getTransfer(t, c.payer.Token, c.id).Status, "back where the payer's flow left it")
		v := do(t, call{method: "POST", path: "/v1/transfers/" + c.id + "/void", token: c.payer.Token,
			headers: map[string]string{"Idempotency-Key": "review-uncaptured-void"}})
		require.Equal(t, http.StatusOK, v.Status, "%s", v.Body)
		assert.Equal(t, "RELEASED", getTransfer(t, c.payer.Token, c.id).Status, "the payer settles it")
		w := getWallet(t, c.payer.Token, c.from.ID)
		assert.Zero(t, w.Held, "its hold was released once")
		assert.EqualValues(t, reviewFunds, w.Balance)
		requireLedgerConsistent(t)
		assertLeftTheDesk(t, c.id)
	})

	t.Run("non-admins get 403 on every admin route", func(t *testing.T) {
		c := newReviewCase(t, "non-admin", holdLeftOpen)
		for _, req := range []call{
			{method: "GET", path: "/v1/admin/transfers?status=NEEDS_REVIEW"},
			{method: "POST", path: "/v1/admin/transfers/" + c.id + "/resolve", headers: map[string]string{"Idempotency-Key": "review-non-admin"},
				body: map[string]string{"action": "reverse", "reason": "not mine to do"}},
			{method: "GET", path: "/v1/admin/audit"},
			{method: "GET", path: "/v1/admin/ledger/check"},
		} {
			req.token = c.payer.Token
			r := do(t, req)
			assert.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", req.method, req.path, r.Body)
			assert.Equal(t, "forbidden", r.ErrorCode())
		}
		assert.EqualValues(t, reviewAmount, getWallet(t, c.payer.Token, c.from.ID).Held, "nothing changed")
	})

	t.Run("actions from the wrong state are refused and change nothing", func(t *testing.T) {
		released := newReviewCase(t, "wrong-state", holdReleased)
		done := transferIDOf(t, postTransfer(t, released.payer.Token, "review-done", transferBody(released.from.ID, released.to.ID, 1)))
		require.Equal(t, "COMPLETED", waitFinal(t, released.payer.Token, done).Status)
		r := resolve(t, done, "review-wrong-1", "reverse", "a completed transfer is not in review")
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		assert.Equal(t, "transfer_not_in_review", r.ErrorCode())
		r = resolve(t, released.id, "review-wrong-2", "complete", "nothing is held to post")
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		assert.Equal(t, "no_hold_to_post", r.ErrorCode())
		r = resolve(t, released.id, "review-wrong-3", "undo", "no such action")
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
		assert.Equal(t, "NEEDS_REVIEW", getTransfer(t, released.payer.Token, released.id).Status)
		assert.Empty(t, auditOf(t, released.id), "a refused action leaves no audit record")
	})

	t.Run("complete posts the hold to the destination", func(t *testing.T) {
		c := newReviewCase(t, "complete", holdLeftOpen)
		r := resolve(t, c.id, "review-complete", "complete", "the destination is good; posting by hand")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.NotEmpty(t, r.Header.Get("X-Request-Id"), "every answer names its request")
		var it deskItem
		decode(t, r, &it)
		assert.Equal(t, "COMPLETED", it.Status)
		assert.True(t, it.Money.Posted)
		assert.Equal(t, c.id+"-post", it.Money.PostingID)
		assert.EqualValues(t, reviewAmount, getWallet(t, c.payee.Token, c.to.ID).Balance, "the hold posted")
		requireLedgerConsistent(t)

		again := resolve(t, c.id, "review-complete", "complete", "the destination is good; posting by hand")
		assert.Equal(t, http.StatusOK, again.Status, "%s", again.Body)
		assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		other := resolve(t, c.id, "review-complete", "reverse", "changed my mind")
		assert.Equal(t, http.StatusUnprocessableEntity, other.Status, "%s", other.Body)
		assert.Equal(t, "idempotency_key_reused", other.ErrorCode())
		assert.EqualValues(t, reviewAmount, getWallet(t, c.payee.Token, c.to.ID).Balance, "posted once")
		w := getWallet(t, c.payer.Token, c.from.ID)
		assert.EqualValues(t, reviewFunds-reviewAmount, w.Balance, "the hold left the payer")
		assert.EqualValues(t, w.Balance, w.Available)
		assertLeftTheDesk(t, c.id)

		trail := auditOf(t, c.id)
		require.Len(t, trail, 1, "one record for one action, however often it is sent")
		rec := trail[0]
		assert.Equal(t, "transfer.resolve.complete", rec.Action)
		assert.Equal(t, "transfer", rec.TargetType)
		assert.Equal(t, "the destination is good; posting by hand", rec.Reason)
		assert.Equal(t, "NEEDS_REVIEW", statusIn(t, rec.Before))
		assert.Equal(t, "COMPLETED", statusIn(t, rec.After))
		assert.Equal(t, r.Header.Get("X-Request-Id"), rec.RequestID, "the record names the request that did it")
		assert.NotEmpty(t, rec.ActorID)
	})

	t.Run("reverse gives the hold back", func(t *testing.T) {
		c := newReviewCase(t, "reverse", holdLeftOpen)
		r := resolve(t, c.id, "review-reverse", "reverse", "payee account under investigation")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var it deskItem
		decode(t, r, &it)
		assert.Equal(t, "FAILED", it.Status)
		assert.Equal(t, "reversed", it.FailureReason)
		assert.True(t, it.Money.Released)
		w := getWallet(t, c.payer.Token, c.from.ID)
		assert.Zero(t, w.Held)
		assert.EqualValues(t, reviewFunds, w.Balance, "the hold came back")
		requireLedgerConsistent(t)
		assertLeftTheDesk(t, c.id)
		trail := auditOf(t, c.id)
		require.Len(t, trail, 1)
		assert.Equal(t, "transfer.resolve.reverse", trail[0].Action)
	})

	t.Run("retry finishes the compensation", func(t *testing.T) {
		c := newReviewCase(t, "retry", holdReleased)
		r := resolve(t, c.id, "review-retry", "retry", "the post never moved anything; finishing the compensation")
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "FAILED", getTransfer(t, c.payer.Token, c.id).Status)
		w := getWallet(t, c.payer.Token, c.from.ID)
		assert.EqualValues(t, reviewFunds, w.Balance, "nothing moved")
		assert.EqualValues(t, w.Balance, w.Available)
		requireLedgerConsistent(t)
		assertLeftTheDesk(t, c.id)
	})

	t.Run("a freeze and an unfreeze are audited with their reason", func(t *testing.T) {
		_, w := funded(t, "review-freeze", 0)
		admin := adminToken(t)
		for _, status := range []string{"FROZEN", "ACTIVE"} {
			r := do(t, call{method: "PATCH", path: "/v1/wallets/" + w.ID, token: admin,
				body: map[string]string{"status": status, "reason": "review desk test: " + strings.ToLower(status)}})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		}
		trail := auditOf(t, w.ID)
		require.Len(t, trail, 2)
		assert.Equal(t, "wallet.unfreeze", trail[0].Action, "newest first")
		assert.Equal(t, "wallet.freeze", trail[1].Action)
		assert.Equal(t, "ACTIVE", statusIn(t, trail[1].Before))
		assert.Equal(t, "FROZEN", statusIn(t, trail[1].After))
		assert.Equal(t, "review desk test: frozen", trail[1].Reason)
	})
}

// The review desk's cases: each subtest of TestReviewDesk makes its own, on wallets of
// its own, so the subtests pass alone, in any order, or with -run picking one.
const (
	reviewFunds  = 1000
	reviewAmount = 100
)

// reviewFault is where a case's compensation broke.
type reviewFault int

const (
	holdLeftOpen   reviewFault = iota // a capture's post failed, then its compensation: the captured hold stays
	holdReleased                      // an immediate transfer's one-step post failed, then the compensation: nothing is held
	holdUncaptured                    // a hold whose MarkHeld and compensation failed: a hold the payer never captured
)

type reviewCase struct {
	payer, payee account
	from, to     walletView
	id           string
}

// newReviewCase funds a payer with reviewFunds and leaves a transfer of reviewAmount to a
// new payee NEEDS_REVIEW, with the faults injected only while its saga runs.
func newReviewCase(t *testing.T, name string, f reviewFault) reviewCase {
	t.Helper()
	c := reviewCase{}
	c.payer, c.from = funded(t, "review-"+name, reviewFunds)
	c.payee, c.to = funded(t, "review-"+name+"-b", 0)
	failing := stepFaults{"post": {Mode: "fail"}, "release": {Mode: "fail"}}
	hold := transferBody(c.from.ID, c.to.ID, reviewAmount, "mode", "hold", "hold_expires_in_seconds", 600)
	var r reply
	switch f {
	case holdReleased:
		withFaults(t, failing)
		r = postTransfer(t, c.payer.Token, "review-"+name, transferBody(c.from.ID, c.to.ID, reviewAmount))
	case holdUncaptured:
		withFaults(t, stepFaults{"finalize": {Mode: "fail"}, "release": {Mode: "fail"}})
		r = postTransfer(t, c.payer.Token, "review-"+name, hold)
	case holdLeftOpen:
		held := postTransfer(t, c.payer.Token, "review-"+name, hold)
		require.Equal(t, "HELD", waitFinal(t, c.payer.Token, transferIDOf(t, held), "HELD").Status)
		withFaults(t, failing)
		r = do(t, call{method: "POST", path: "/v1/transfers/" + transferIDOf(t, held) + "/capture", token: c.payer.Token,
			headers: map[string]string{"Idempotency-Key": "review-capture-" + name}})
	}
	c.id = transferIDOf(t, r)
	v := waitFinal(t, c.payer.Token, c.id)
	require.Equal(t, "NEEDS_REVIEW", v.Status, "%+v", v)
	clearFaults(t)
	if r.Status != http.StatusAccepted { // the saga stopped within the wait: NEEDS_REVIEW is final, not "still running"
		assert.Contains(t, []int{http.StatusCreated, http.StatusOK}, r.Status, "%s", r.Body)
	}
	return c
}

// assertLeftTheDesk checks that a resolved case is no longer listed for review.
func assertLeftTheDesk(t *testing.T, id string) {
	t.Helper()
	var page struct {
		Items []deskItem `json:"items"`
	}
	require.NoError(t, getJSON(adminToken(t), "/v1/admin/transfers?status=NEEDS_REVIEW&limit=100", &page))
	for _, it := range page.Items {
		assert.NotEqual(t, id, it.ID, "a resolved case left the desk")
	}
}
