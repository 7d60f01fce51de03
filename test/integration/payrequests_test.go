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

type payRequestView struct {
	ID         string                  `json:"id"`
	To         struct{ Email string }  `json:"to"`
	From       *struct{ Email string } `json:"from"`
	PayeeID    string                  `json:"payee_id"`
	Amount     int64                   `json:"amount"`
	Currency   string                  `json:"currency"`
	Status     string                  `json:"status"`
	TransferID string                  `json:"transfer_id"`
}

type payRequestPage struct {
	Items      []payRequestView `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

func askFor(payee account, to string, amount int64, key string) reply {
	r, _ := send(call{method: "POST", path: "/v1/payment-requests", token: payee.Token,
		headers: map[string]string{"Idempotency-Key": key}, body: map[string]any{"to": map[string]string{"email": to}, "amount": amount, "currency": "USD"}})
	return r
}

func newRequest(t *testing.T, payee account, to string, amount int64) payRequestView {
	t.Helper()
	r := askFor(payee, to, amount, "ask-"+strconv.FormatInt(uniq.Add(1), 10)+"-"+runID)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var v payRequestView
	decode(t, r, &v)
	return v
}

// sendPay pays request id from walletID with key; safe in goroutines.
func sendPay(token, id, walletID, key string) (reply, error) {
	return send(call{method: "POST", path: "/v1/payment-requests/" + id + "/pay", token: token,
		headers: map[string]string{"Idempotency-Key": key}, body: map[string]string{"wallet_id": walletID}})
}

func pay(t *testing.T, token, id, walletID, key string) reply {
	t.Helper()
	r, err := sendPay(token, id, walletID, key)
	require.NoError(t, err)
	return r
}

func actOn(t *testing.T, token, id, action string) reply {
	t.Helper()
	return do(t, call{method: "POST", path: "/v1/payment-requests/" + id + "/" + action, token: token})
}

func requestOf(t *testing.T, token, id string) payRequestView {
	t.Helper()
	return get[payRequestView](t, token, "/v1/payment-requests/"+id)
}

type requestNotice struct {
	Type             string `json:"type"`
	PaymentRequestID string `json:"payment_request_id"`
	Message          string `json:"message"`
}

// noticesAbout lists the caller's notifications of type about request id.
func noticesAbout(t *testing.T, token, typ, id string) []requestNotice {
	t.Helper()
	page := get[struct {
		Items []requestNotice `json:"items"`
	}](t, token, "/v1/notifications?limit=100")
	var out []requestNotice
	for _, it := range page.Items {
		if it.Type == typ && it.PaymentRequestID == id {
			out = append(out, it)
		}
	}
	return out
}

// noticesOf counts the caller's notifications of type about request id.
func noticesOf(t *testing.T, token, typ, id string) int {
	t.Helper()
	return len(noticesAbout(t, token, typ, id))
}

// requireFrom checks a request names who asked.
func requireFrom(t *testing.T, v payRequestView, email, who string) {
	t.Helper()
	require.NotNil(t, v.From, "%s sees who asked", who)
	assert.Equal(t, email, v.From.Email, "%s sees who asked", who)
}

// requireNotifiedOnce waits until each of tokens has exactly one notification of typ
// about request id.
func requireNotifiedOnce(t *testing.T, typ, id string, tokens ...string) {
	t.Helper()
	eventually(t, eventDeadline(), typ+" notifies both parties", func() bool {
		for _, tok := range tokens {
			if noticesOf(t, tok, typ, id) != 1 {
				return false
			}
		}
		return true
	})
}

// payOutcome is what one of several racing payments got: the transfer of a 2xx, or the
// code of a refusal.
type payOutcome struct {
	status     int
	transferID string
	code       string
}

func racePay(t *testing.T, token, id, walletID string, keys ...string) []payOutcome {
	t.Helper()
	return concurrently(t, len(keys), func(i int) (payOutcome, error) {
		r, err := sendPay(token, id, walletID, keys[i])
		if err != nil {
			return payOutcome{}, err
		}
		o := payOutcome{status: r.Status, code: r.ErrorCode()}
		if r.Status == http.StatusCreated || r.Status == http.StatusAccepted {
			o.transferID, err = transferIDIn(r)
		}
		return o, err
	})
}

// requireOnePayment checks racing payments' outcomes: every 2xx names the same
// transfer, and every other answer is a 409 saying a payment won or is running.
func requireOnePayment(t *testing.T, outs []payOutcome) string {
	t.Helper()
	ids := map[string]bool{}
	for _, o := range outs {
		if o.transferID != "" {
			ids[o.transferID] = true
			continue
		}
		assert.Equal(t, http.StatusConflict, o.status, "%+v", o)
		assert.Contains(t, []string{"payment_request_paying", "payment_request_paid", "request_in_progress"}, o.code)
	}
	require.Len(t, ids, 1, "one transfer pays the request: %+v", outs)
	for id := range ids {
		return id
	}
	return ""
}

// TestPaymentRequestIsPaidOnce: a request paid by two racing requests, with one key and
// with two keys, moves money once; replays answer with the one transfer; both parties
// are told when it is made and when it is paid.
func TestPaymentRequestIsPaidOnce(t *testing.T) {
	payer, wa := funded(t, "preq-payer", 5_000)
	payee, wb := funded(t, "preq-payee", 0)
	stranger, ws := funded(t, "preq-stranger", 1_000)

	key := "preq-make-" + runID
	first := askFor(payee, payer.Email, 700, key)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	var req payRequestView
	decode(t, first, &req)
	assert.Equal(t, "PENDING", req.Status)
	requireFrom(t, req, strings.ToLower(payee.Email), "the payee's create answer")
	again := askFor(payee, payer.Email, 700, key)
	assert.Equal(t, http.StatusCreated, again.Status)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, req.ID, again.JSON(t)["id"], "the same key is the same request")
	assert.Equal(t, "idempotency_key_reused", askFor(payee, payer.Email, 701, key).ErrorCode())

	received := get[payRequestPage](t, payer.Token, "/v1/payment-requests?role=received")
	require.NotEmpty(t, received.Items)
	assert.Equal(t, req.ID, received.Items[0].ID, "newest first")
	requireFrom(t, received.Items[0], strings.ToLower(payee.Email), "the addressee's list")
	requireFrom(t, requestOf(t, payer.Token, req.ID), strings.ToLower(payee.Email), "the addressee")
	requireFrom(t, requestOf(t, payee.Token, req.ID), strings.ToLower(payee.Email), "the payee")
	assert.Equal(t, req.ID, get[payRequestPage](t, payee.Token, "/v1/payment-requests?role=sent").Items[0].ID)
	assert.Empty(t, get[payRequestPage](t, stranger.Token, "/v1/payment-requests?role=received").Items)
	assert.Equal(t, http.StatusNotFound, do(t, call{method: "GET", path: "/v1/payment-requests/" + req.ID, token: stranger.Token}).Status)
	r := pay(t, stranger.Token, req.ID, ws.ID, "preq-stranger-"+runID)
	assert.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
	assert.Equal(t, "not_found", r.ErrorCode(), "only the addressee pays")
	requireNotifiedOnce(t, "payment_request.created", req.ID, payer.Token, payee.Token)
	assert.Equal(t, strings.ToLower(payee.Email)+" asked you for 7.00 USD.", noticesAbout(t, payer.Token, "payment_request.created", req.ID)[0].Message,
		"the addressee is told who asked")
	assert.Equal(t, "You asked "+strings.ToLower(payer.Email)+" for 7.00 USD.", noticesAbout(t, payee.Token, "payment_request.created", req.ID)[0].Message)

	sameKey := "preq-pay-" + runID
	tid := requireOnePayment(t, racePay(t, payer.Token, req.ID, wa.ID, sameKey, sameKey))
	paid := waitFinal(t, payer.Token, tid)
	assert.Equal(t, "COMPLETED", paid.Status)
	assert.Equal(t, "PAID", requestOf(t, payee.Token, req.ID).Status)
	assert.Equal(t, tid, requestOf(t, payer.Token, req.ID).TransferID)
	replay := pay(t, payer.Token, req.ID, wa.ID, sameKey)
	assert.Equal(t, http.StatusCreated, replay.Status, "%s", replay.Body)
	assert.Equal(t, tid, transferIDOf(t, replay), "a replay answers with the one transfer")
	late := pay(t, payer.Token, req.ID, wa.ID, "preq-pay-late-"+runID)
	assert.Equal(t, http.StatusConflict, late.Status, "%s", late.Body)
	assert.Equal(t, "payment_request_paid", late.ErrorCode())

	second := newRequest(t, payee, payer.Email, 900)
	requireOnePayment(t, racePay(t, payer.Token, second.ID, wa.ID, "preq-k1-"+runID, "preq-k2-"+runID))
	eventually(t, eventDeadline(), "the second request is paid", func() bool { return requestOf(t, payer.Token, second.ID).Status == "PAID" })

	assert.EqualValues(t, 5_000-700-900, getWallet(t, payer.Token, wa.ID).Balance, "each request moved money once")
	assert.EqualValues(t, 700+900, getWallet(t, payee.Token, wb.ID).Balance)
	requireNotifiedOnce(t, "payment_request.paid", req.ID, payer.Token, payee.Token)
	requireLedgerConsistent(t)
}

// TestPaymentRequestRefusals: a declined, cancelled or expired request cannot be paid;
// each party may only do their own part; unverified accounts move no money.
func TestPaymentRequestRefusals(t *testing.T) {
	payer, wa := funded(t, "preq-ref-payer", 5_000)
	payee, _ := funded(t, "preq-ref-payee", 0)

	declined := newRequest(t, payee, payer.Email, 100)
	r := actOn(t, payee.Token, declined.ID, "decline")
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "not_payer", r.ErrorCode(), "the payee does not decline")
	r = actOn(t, payer.Token, declined.ID, "decline")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "DECLINED", r.JSON(t)["status"])
	requireNotifiedOnce(t, "payment_request.declined", declined.ID, payer.Token, payee.Token)

	cancelled := newRequest(t, payee, payer.Email, 100)
	r = actOn(t, payer.Token, cancelled.ID, "cancel")
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "not_payee", r.ErrorCode(), "the addressee does not cancel")
	r = actOn(t, payee.Token, cancelled.ID, "cancel")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	requireNotifiedOnce(t, "payment_request.cancelled", cancelled.ID, payer.Token, payee.Token)
	assert.Equal(t, "A request of 1.00 USD from "+strings.ToLower(payee.Email)+" to you was cancelled.",
		noticesAbout(t, payer.Token, "payment_request.cancelled", cancelled.ID)[0].Message)

	expired := newRequest(t, payee, payer.Email, 100)
	expire(t, expired.ID)
	assert.Equal(t, "EXPIRED", requestOf(t, payer.Token, expired.ID).Status)

	tests := []struct {
		name        string
		id          string
		status      int
		code        string
		declineCode string // "": declining again answers the declined request
	}{
		{"declined", declined.ID, http.StatusConflict, "payment_request_declined", ""},
		{"cancelled", cancelled.ID, http.StatusConflict, "payment_request_cancelled", "payment_request_cancelled"},
		{"expired", expired.ID, http.StatusGone, "payment_request_expired", "payment_request_expired"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pay(t, payer.Token, tt.id, wa.ID, fmt.Sprintf("preq-refused-%d-%s", i, runID))
			assert.Equal(t, tt.status, r.Status, "%s", r.Body)
			assert.Equal(t, tt.code, r.ErrorCode())
			d := actOn(t, payer.Token, tt.id, "decline")
			if tt.declineCode == "" {
				require.Equal(t, http.StatusOK, d.Status, "a decline sent again is answered: %s", d.Body)
				assert.Equal(t, "DECLINED", d.JSON(t)["status"])
				return
			}
			assert.Equal(t, tt.declineCode, d.ErrorCode(), "nor declined")
		})
	}
	again := actOn(t, payee.Token, cancelled.ID, "cancel")
	require.Equal(t, http.StatusOK, again.Status, "a cancel sent again is answered: %s", again.Body)
	assert.Equal(t, "CANCELLED", again.JSON(t)["status"])
	requireNotifiedOnce(t, "payment_request.declined", declined.ID, payer.Token, payee.Token)
	requireNotifiedOnce(t, "payment_request.cancelled", cancelled.ID, payer.Token, payee.Token)
	assert.EqualValues(t, 5_000, getWallet(t, payer.Token, wa.ID).Balance, "nothing moved")

	self := askFor(payee, payee.Email, 100, "preq-self-"+runID)
	assert.Equal(t, http.StatusBadRequest, self.Status)
	assert.Equal(t, "self_request", self.ErrorCode())
	role := do(t, call{method: "GET", path: "/v1/payment-requests?role=mine", token: payee.Token})
	assert.Equal(t, http.StatusBadRequest, role.Status, "%s", role.Body)

	unverified := signupUnverified(t, "preq-unverified")
	assert.Equal(t, "email_not_verified", askFor(unverified, payer.Email, 100, "preq-unv-"+runID).ErrorCode(), "only verified payees ask")
	open := newRequest(t, payee, unverified.Email, 100)
	r = pay(t, unverified.Token, open.ID, wa.ID, "preq-unv-pay-"+runID)
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "email_not_verified", r.ErrorCode())
	assert.Empty(t, get[payRequestPage](t, unverified.Token, "/v1/payment-requests?role=received").Items,
		"an unverified account sees nothing addressed to its email")
}

// TestPaymentRequestStaysPayableAfterAFailedPayment: a payment refused for want of
// funds moves nothing and leaves the request PENDING; paid later, it is PAID.
func TestPaymentRequestStaysPayableAfterAFailedPayment(t *testing.T) {
	payer, wa := funded(t, "preq-short-payer", 100)
	payee, wb := funded(t, "preq-short-payee", 0)
	req := newRequest(t, payee, payer.Email, 700)

	r := pay(t, payer.Token, req.ID, wa.ID, "preq-short-1-"+runID)
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
	assert.Equal(t, "insufficient_funds", r.ErrorCode())
	back := requestOf(t, payee.Token, req.ID)
	assert.Equal(t, "PENDING", back.Status, "payable again")
	assert.Empty(t, back.TransferID)

	require.Equal(t, http.StatusCreated, credit(t, payer.Token, wa.ID, "preq-short-topup-"+runID, 1_000).Status)
	r = pay(t, payer.Token, req.ID, wa.ID, "preq-short-2-"+runID)
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	assert.Equal(t, "PAID", requestOf(t, payee.Token, req.ID).Status)
	assert.EqualValues(t, 400, getWallet(t, payer.Token, wa.ID).Balance)
	assert.EqualValues(t, 700, getWallet(t, payee.Token, wb.ID).Balance)
	requireLedgerConsistent(t)
}
