//go:build integration

package integration

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImmediateTransfer(t *testing.T) {
	a, wa := funded(t, "payer", 1000)
	b, wb := funded(t, "payee", 0)
	stranger := signupAndLogin(t, "nosy")

	v := createTransfer(t, a.Token, "pay-1", transferBody(wa.ID, wb.ID, 300, "description", "rent"))
	assert.Equal(t, "COMPLETED", v.Status)
	assert.Equal(t, "immediate", v.Mode)
	assert.EqualValues(t, 300, v.Amount)

	assert.EqualValues(t, 700, getWallet(t, a.Token, wa.ID).Balance)
	assert.EqualValues(t, 0, getWallet(t, a.Token, wa.ID).Held)
	assert.EqualValues(t, 300, getWallet(t, b.Token, wb.ID).Balance)

	t.Run("status tracking shows the saga steps", func(t *testing.T) {
		got := getTransfer(t, a.Token, v.ID)
		var names []string
		for _, s := range got.Steps {
			names = append(names, s.Name)
			assert.Equal(t, "succeeded", s.Status)
		}
		assert.Equal(t, []string{"post"}, names, "one step: the post reserves and posts in one transaction")
		assert.Equal(t, "COMPLETED", getTransfer(t, b.Token, v.ID).Status, "the payee sees it too")
		r := do(t, call{method: "GET", path: "/v1/transfers/" + v.ID, token: stranger.Token})
		assert.Equal(t, http.StatusNotFound, r.Status)
	})
	t.Run("replay answers the same", func(t *testing.T) {
		again := postTransfer(t, a.Token, "pay-1", transferBody(wa.ID, wb.ID, 300, "description", "rent"))
		assert.Equal(t, http.StatusCreated, again.Status)
		assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, v.ID, transferIDOf(t, again))
		other := postTransfer(t, a.Token, "pay-1", transferBody(wa.ID, wb.ID, 301))
		assert.Equal(t, "idempotency_key_reused", other.ErrorCode())
	})
	t.Run("statements", func(t *testing.T) {
		ea := allEntries(t, a.Token, wa.ID)
		require.Len(t, ea, 2)
		assert.EqualValues(t, -300, ea[0].Amount)
		assert.EqualValues(t, 700, ea[0].BalanceAfter)
		eb := allEntries(t, b.Token, wb.ID)
		require.Len(t, eb, 1)
		assert.EqualValues(t, 300, eb[0].Amount)
	})
	t.Run("lists", func(t *testing.T) {
		for _, tok := range []string{a.Token, b.Token} {
			r := do(t, call{method: "GET", path: "/v1/transfers", token: tok})
			require.Equal(t, http.StatusOK, r.Status)
			assert.Contains(t, string(r.Body), v.ID)
		}
		r := do(t, call{method: "GET", path: "/v1/transfers?wallet_id=" + wb.ID, token: b.Token})
		assert.Contains(t, string(r.Body), v.ID)
		r = do(t, call{method: "GET", path: "/v1/transfers", token: stranger.Token})
		assert.JSONEq(t, `{"items":[],"next_cursor":null}`, string(r.Body))
		r = do(t, call{method: "GET", path: "/v1/transfers?wallet_id=" + wa.ID, token: stranger.Token})
		assert.Equal(t, http.StatusNotFound, r.Status)
	})
	requireLedgerConsistent(t)
}

func TestTransferRefusals(t *testing.T) {
	a, wa := funded(t, "refusals", 100)
	b, wb := funded(t, "refusals-b", 0)
	eur := createWallet(t, b.Token, "EUR")
	frozen := createWallet(t, signupAndLogin(t, "frozen").Token, "USD")
	r := do(t, call{method: "PATCH", path: "/v1/wallets/" + frozen.ID, token: adminToken(t), body: map[string]string{"status": "FROZEN", "reason": "integration test"}})
	require.Equal(t, http.StatusOK, r.Status)

	t.Run("insufficient funds changes no balance or hold", func(t *testing.T) {
		r := postTransfer(t, a.Token, "too-much", transferBody(wa.ID, wb.ID, 101))
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		assert.Equal(t, "insufficient_funds", r.ErrorCode())
		v := getTransfer(t, a.Token, transferIDOf(t, r))
		assert.Equal(t, "FAILED", v.Status)
		assert.Equal(t, "insufficient_funds", v.FailureReason)
		w := getWallet(t, a.Token, wa.ID)
		assert.EqualValues(t, 100, w.Balance)
		assert.Zero(t, w.Held)
		assert.Zero(t, getWallet(t, b.Token, wb.ID).Balance)
		again := postTransfer(t, a.Token, "too-much", transferBody(wa.ID, wb.ID, 101))
		assert.Equal(t, string(r.Body), string(again.Body), "the replay is the first answer")
	})

	tests := []struct {
		name   string
		key    string
		body   map[string]any
		status int
		code   string // the function's
		at     door
	}{
		{"missing key", "", transferBody(wa.ID, wb.ID, 1), 400, "idempotency_key_required", missingParameters},
		{"malformed key", "a b", transferBody(wa.ID, wb.ID, 1), 400, "invalid_idempotency_key", pastTheDoor},
		{"same wallet", "k", transferBody(wa.ID, wa.ID, 1), 400, "same_wallet", pastTheDoor},
		{"zero amount", "k", transferBody(wa.ID, wb.ID, 0), 400, "invalid_amount", badBody},
		{"bad currency", "k", transferBody(wa.ID, wb.ID, 1, "currency", "XXX"), 400, "invalid_currency", badBody},
		{"bad mode", "k", transferBody(wa.ID, wb.ID, 1, "mode", "later"), 400, "invalid_mode", badBody},
		{"hold expiry too short", "k", transferBody(wa.ID, wb.ID, 1, "mode", "hold", "hold_expires_in_seconds", 59), 400, "invalid_hold_expiry", badBody},
		{"hold expiry too long", "k", transferBody(wa.ID, wb.ID, 1, "mode", "hold", "hold_expires_in_seconds", 604801), 400, "invalid_hold_expiry", badBody},
		{"hold expiry on an immediate transfer", "k", transferBody(wa.ID, wb.ID, 1, "hold_expires_in_seconds", 600), 400, "invalid_hold_expiry", pastTheDoor},
		{"unknown field", "k", transferBody(wa.ID, wb.ID, 1, "fee", 1), 400, "unknown_field", badBody},
		{"currency mismatch", "k", transferBody(wa.ID, eur.ID, 1), 422, "currency_mismatch", pastTheDoor},
		{"frozen destination", "k", transferBody(wa.ID, frozen.ID, 1), 422, "wallet_not_active", pastTheDoor},
		{"unknown destination", "k", transferBody(wa.ID, "00000000-0000-4000-8000-000000000000", 1), 404, "not_found", pastTheDoor},
		{"someone else's source", "k", transferBody(wb.ID, wa.ID, 1), 404, "not_found", pastTheDoor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := call{method: "POST", path: "/v1/transfers", token: a.Token, body: tt.body}
			if tt.key != "" {
				c.headers = map[string]string{"Idempotency-Key": tt.key}
			}
			expectRefusal(t, c, a, tt.status, tt.code, tt.at)
		})
	}
	assert.EqualValues(t, 100, getWallet(t, a.Token, wa.ID).Available)
	requireLedgerConsistent(t)
}

func TestHoldCaptureAndVoid(t *testing.T) {
	a, wa := funded(t, "holder", 1000)
	b, wb := funded(t, "merchant", 0)

	hold := createTransfer(t, a.Token, "hold-1", transferBody(wa.ID, wb.ID, 500, "mode", "hold", "hold_expires_in_seconds", 600))
	assert.Equal(t, "HELD", hold.Status)
	require.NotNil(t, hold.ExpiresAt)
	assert.Equal(t, 600*time.Second, hold.ExpiresAt.Sub(hold.CreatedAt), "expires 600 s after it was made, by the system's clock")
	w := getWallet(t, a.Token, wa.ID)
	assert.EqualValues(t, 1000, w.Balance)
	assert.EqualValues(t, 500, w.Held)
	assert.EqualValues(t, 500, w.Available)

	capture := func(key, id string, body any) reply {
		return do(t, call{method: "POST", path: "/v1/transfers/" + id + "/capture", token: a.Token,
			headers: map[string]string{"Idempotency-Key": key}, body: body})
	}
	t.Run("the payee cannot settle it", func(t *testing.T) {
		r := do(t, call{method: "POST", path: "/v1/transfers/" + hold.ID + "/capture", token: b.Token, headers: map[string]string{"Idempotency-Key": "x"}})
		assert.Equal(t, http.StatusNotFound, r.Status)
	})
	t.Run("more than held", func(t *testing.T) {
		r := capture("cap-too-much", hold.ID, map[string]any{"amount": 501})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Equal(t, "invalid_capture_amount", r.ErrorCode())
	})
	t.Run("partial capture releases the rest", func(t *testing.T) {
		r := capture("cap-1", hold.ID, map[string]any{"amount": 200})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var v transferView
		decode(t, r, &v)
		assert.Equal(t, "COMPLETED", v.Status)
		require.NotNil(t, v.CapturedAmount)
		assert.EqualValues(t, 200, *v.CapturedAmount)
		w := getWallet(t, a.Token, wa.ID)
		assert.EqualValues(t, 800, w.Balance)
		assert.Zero(t, w.Held)
		assert.EqualValues(t, 200, getWallet(t, b.Token, wb.ID).Balance)
		again := capture("cap-1", hold.ID, map[string]any{"amount": 200})
		assert.Equal(t, http.StatusOK, again.Status)
		assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		late := capture("cap-2", hold.ID, nil)
		assert.Equal(t, "transfer_not_held", late.ErrorCode())
	})
	t.Run("void", func(t *testing.T) {
		id := createTransfer(t, a.Token, "hold-2", transferBody(wa.ID, wb.ID, 300, "mode", "hold")).ID
		assert.EqualValues(t, 300, getWallet(t, a.Token, wa.ID).Held)
		v := do(t, call{method: "POST", path: "/v1/transfers/" + id + "/void", token: a.Token, headers: map[string]string{"Idempotency-Key": "void-1"}})
		require.Equal(t, http.StatusOK, v.Status, "%s", v.Body)
		assert.Equal(t, "RELEASED", getTransfer(t, a.Token, id).Status)
		assert.Zero(t, getWallet(t, a.Token, wa.ID).Held)
		assert.Equal(t, "transfer_not_held", capture("cap-3", id, nil).ErrorCode())
	})
	t.Run("capture, void and capture racing settle once", func(t *testing.T) {
		id := createTransfer(t, a.Token, "hold-3", transferBody(wa.ID, wb.ID, 100, "mode", "hold")).ID
		replies := concurrently(t, 6, func(i int) (reply, error) {
			op := []string{"capture", "void"}[i%2]
			return send(call{method: "POST", path: "/v1/transfers/" + id + "/" + op, token: a.Token,
				headers: map[string]string{"Idempotency-Key": fmt.Sprintf("race-%d", i)}})
		})
		winners := 0
		for i, r := range replies {
			switch {
			case r.Status == http.StatusOK:
				winners++
			case r.ErrorCode() == "transfer_not_held":
			default:
				t.Errorf("racer %d: %d %s", i, r.Status, r.Body)
			}
		}
		assert.Equal(t, 1, winners)
		final := waitFinal(t, a.Token, id)
		assert.Contains(t, []string{"COMPLETED", "RELEASED"}, final.Status)
		assert.Zero(t, getWallet(t, a.Token, wa.ID).Held)
	})
	requireLedgerConsistent(t)
}

func TestConcurrentTransfersFromOneWallet(t *testing.T) {
	const transfers, funds = 100, 60
	a, wa := funded(t, "spender", funds)
	b, wb := funded(t, "sink", 0)
	replies := concurrently(t, transfers, func(i int) (reply, error) {
		return sendTransfer(a.Token, fmt.Sprintf("spend-%d", i), transferBody(wa.ID, wb.ID, 1))
	})
	var ids []string
	for _, r := range replies {
		if assert.Contains(t, []int{201, 202, 422}, r.Status, "%s", r.Body) {
			ids = append(ids, transferIDOf(t, r))
		}
	}
	completed, refused := 0, 0
	for _, id := range ids {
		v := waitFinal(t, a.Token, id)
		switch {
		case v.Status == "COMPLETED":
			completed++
		case v.Status == "FAILED" && v.FailureReason == "insufficient_funds":
			refused++
		default:
			t.Errorf("transfer %s: %s %s", id, v.Status, v.FailureReason)
		}
	}
	assert.Equal(t, funds, completed)
	assert.Equal(t, transfers-funds, refused)
	w := getWallet(t, a.Token, wa.ID)
	assert.Zero(t, w.Balance)
	assert.Zero(t, w.Held)
	assert.EqualValues(t, funds, getWallet(t, b.Token, wb.ID).Balance)
	requireLedgerConsistent(t)
}

func TestCrossTransfersLoseNoUpdate(t *testing.T) {
	const each = 15
	a, wa := funded(t, "cross-a", 1000)
	b, wb := funded(t, "cross-b", 1000)
	// transferToEnd runs one transfer to its end; safe in goroutines.
	transferToEnd := func(token, key string, body map[string]any) (transferView, error) {
		r, err := sendTransfer(token, key, body)
		if err != nil {
			return transferView{}, err
		}
		id, err := transferIDIn(r)
		if err != nil {
			return transferView{}, err
		}
		return awaitFinal(token, id)
	}
	finals := concurrently(t, 2*each, func(i int) (transferView, error) { // a to b on even i, b to a on odd
		if i%2 == 0 {
			return transferToEnd(a.Token, fmt.Sprintf("ab-%d", i/2), transferBody(wa.ID, wb.ID, 10))
		}
		return transferToEnd(b.Token, fmt.Sprintf("ba-%d", i/2), transferBody(wb.ID, wa.ID, 3))
	})
	for _, v := range finals {
		assert.Equal(t, "COMPLETED", v.Status, "transfer %s: %s", v.ID, v.FailureReason)
	}
	assert.EqualValues(t, 1000-each*10+each*3, getWallet(t, a.Token, wa.ID).Balance)
	assert.EqualValues(t, 1000+each*10-each*3, getWallet(t, b.Token, wb.ID).Balance)
	requireLedgerConsistent(t)
}

func TestOneKeySentTenTimes(t *testing.T) {
	a, wa := funded(t, "tenfold", 100)
	_, wb := funded(t, "tenfold-b", 0)
	replies := concurrently(t, 10, func(int) (reply, error) { return sendTransfer(a.Token, "once", transferBody(wa.ID, wb.ID, 40)) })
	ids := map[string]bool{}
	for _, r := range replies {
		if r.Status == http.StatusConflict {
			assert.Equal(t, "request_in_progress", r.ErrorCode())
			continue
		}
		require.Contains(t, []int{201, 202}, r.Status, "%s", r.Body)
		ids[transferIDOf(t, r)] = true
	}
	assert.Len(t, ids, 1, "one transfer")
	assert.EqualValues(t, 60, getWallet(t, a.Token, wa.ID).Balance)
	assert.Len(t, allEntries(t, a.Token, wa.ID), 2, "the funding credit and one transfer posting")
	requireLedgerConsistent(t)
}

// TestDestinationFrozenAfterCapture freezes the destination between a hold's capture
// (HELD to CAPTURING, the payer's decision) and its post: the post is refused and the
// hold released. An injected delay before the post step holds the settle saga in that
// gap; the test watches the capture commit (CAPTURING), then freezes, and the outcome
// shows the freeze came before the post.
//
// It runs serially (no t.Parallel): it writes CONTROL/FAULTS, which every saga of the
// deployment reads.
func TestDestinationFrozenAfterCapture(t *testing.T) {
	const amount = 200
	sagaWait := deploySeconds(t, "SagaWaitSeconds")
	// Two thirds of the request's saga wait: a wide gap for the freeze, and the saga
	// (delay, refused post, release that fails the transfer) still ends within the wait.
	postDelay := sagaWait * 2 / 3
	isolateBreaker(t)
	a, wa := funded(t, "late-freeze", 500)
	_, wb := funded(t, "late-freeze-b", 0)
	admin := adminToken(t) // before the race: the gap must not pay for the admin's login
	hold := createTransfer(t, a.Token, "freeze-race-hold", transferBody(wa.ID, wb.ID, amount, "mode", "hold", "hold_expires_in_seconds", 600))
	require.Equal(t, "HELD", hold.Status)
	withFaults(t, stepFaults{"post": {Mode: "delay", DelayMs: postDelay.Milliseconds()}})

	type outcome struct {
		r   reply
		err error
	}
	done := make(chan outcome, 1)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // the request ends before the test does, whatever fails
	sent := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		r, err := send(call{method: "POST", path: "/v1/transfers/" + hold.ID + "/capture", token: a.Token,
			headers: map[string]string{"Idempotency-Key": "freeze-race-capture"}})
		done <- outcome{r, err}
	}()

	err := pollUntil(sent.Add(sagaWait), 20*time.Millisecond, func() (bool, error) {
		v, err := fetchTransfer(a.Token, hold.ID)
		return err != nil || v.Status == "CAPTURING", err
	})
	require.NoError(t, err, "the capture did not commit within SagaWaitSeconds")
	r := do(t, call{method: "PATCH", path: "/v1/wallets/" + wb.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "late-freeze test"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	t.Logf("froze the destination %s after the capture was sent; the post step waits %s", time.Since(sent).Round(time.Millisecond), postDelay)

	res := <-done
	require.NoError(t, res.err)
	v := waitFinal(t, a.Token, hold.ID)
	assert.Equal(t, "FAILED", v.Status)
	assert.Equal(t, "wallet_not_active", v.FailureReason)
	var names []string
	for _, s := range v.Steps {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"reserve", "finalize", "capture", "release"}, names, "held, captured, then the post was refused (no post step succeeded); the release failed the transfer in its own transaction")
	w := getWallet(t, a.Token, wa.ID)
	assert.EqualValues(t, 500, w.Balance, "the hold was released")
	assert.Zero(t, w.Held)
	requireLedgerConsistent(t)
}

// TestCompensation runs serially (no t.Parallel): it writes CONTROL/FAULTS, which every
// saga of the deployment reads, and its failures count towards the shared breaker.
func TestCompensation(t *testing.T) {
	isolateBreaker(t)
	a, wa := funded(t, "compensate", 500)
	b, wb := funded(t, "compensate-b", 0)

	t.Run("a failing post step fails the transfer, nothing moved", func(t *testing.T) {
		withFaults(t, stepFaults{"post": {Mode: "fail"}})
		r := postTransfer(t, a.Token, "comp-1", transferBody(wa.ID, wb.ID, 100))
		v := waitFinal(t, a.Token, transferIDOf(t, r))
		assert.Equal(t, "FAILED", v.Status)
		assert.Equal(t, "step_failed", v.FailureReason)
		var names []string
		for _, s := range v.Steps {
			names = append(names, s.Name)
		}
		assert.Equal(t, []string{"release"}, names, "the one-step post moved nothing; the compensation fails the transfer")
		w := getWallet(t, a.Token, wa.ID)
		assert.EqualValues(t, 500, w.Balance)
		assert.Zero(t, w.Held)
	})
	t.Run("a failing post of a held transfer's capture releases the hold", func(t *testing.T) {
		id := createTransfer(t, a.Token, "comp-2", transferBody(wa.ID, wb.ID, 100, "mode", "hold")).ID
		withFaults(t, stepFaults{"post": {Mode: "fail"}})
		c := do(t, call{method: "POST", path: "/v1/transfers/" + id + "/capture", token: a.Token,
			headers: map[string]string{"Idempotency-Key": "comp-2-capture"}})
		require.Less(t, c.Status, 500, "%s", c.Body)
		v := waitFinal(t, a.Token, id)
		assert.Equal(t, "FAILED", v.Status)
		assert.EqualValues(t, 500, getWallet(t, a.Token, wa.ID).Available)
		assert.Zero(t, getWallet(t, b.Token, wb.ID).Balance, "nothing reached the destination")
	})
	t.Run("a failing compensation goes to manual review", func(t *testing.T) {
		withFaults(t, stepFaults{"post": {Mode: "fail"}, "release": {Mode: "fail"}})
		r := postTransfer(t, a.Token, "comp-3", transferBody(wa.ID, wb.ID, 100))
		id := transferIDOf(t, r)
		v := waitFinal(t, a.Token, id)
		assert.Equal(t, "NEEDS_REVIEW", v.Status)
		assert.Zero(t, getWallet(t, a.Token, wa.ID).Held, "the one-step post held nothing")
		assert.Equal(t, id, openCase(t, id).ID, "the manual-review queue's consumer opened its case on the review desk")
	})
	requireLedgerConsistent(t)
}

// TestCircuitBreaker trips the breaker with BreakerFailuresMax failing sagas, checks that
// new transfers are refused fast, waits out BreakerCooldownSeconds, and races several
// probes: exactly one gets through and its success closes the breaker.
//
// It runs serially (no t.Parallel): it trips the deployment-wide breaker, which every
// transfer reads, and writes CONTROL/FAULTS, which every saga reads.
func TestCircuitBreaker(t *testing.T) {
	const probes = 3
	failuresMax := deployNumber(t, "BreakerFailuresMax")
	window := deploySeconds(t, "BreakerWindowSeconds")
	cooldown := deploySeconds(t, "BreakerCooldownSeconds")
	sagaWait := deploySeconds(t, "SagaWaitSeconds")
	isolateBreaker(t)
	a, wa := funded(t, "breaker", 1000)
	_, wb := funded(t, "breaker-b", 0)

	withFaults(t, stepFaults{"post": {Mode: "fail"}})
	for i := 0; i < failuresMax; i++ {
		if i == failuresMax-1 {
			assert.Equal(t, "CLOSED", breakerState(t), "%d failures do not open the breaker", i)
		}
		r := postTransfer(t, a.Token, fmt.Sprintf("trip-%d", i), transferBody(wa.ID, wb.ID, 1))
		assert.Equal(t, "FAILED", waitFinal(t, a.Token, transferIDOf(t, r)).Status)
	}
	clearFaults(t)
	// The saga marks a transfer FAILED before it counts the failure: give the last count
	// a moment to land. Whether the failures fell inside one BreakerWindowSeconds is the
	// breaker's own judgement (its window_start, by the functions' clocks), not the test's.
	var opened breakerItem
	err := pollUntil(time.Now().Add(sagaWait), pollInterval, func() (bool, error) {
		var err error
		opened, err = controlOf(t).breaker()
		return opened.State == "OPEN", err
	})
	require.NoError(t, err, "the breaker opens after %d failures: it is %s with %d counted (window %s)", failuresMax, opened.State, opened.Failures, window)
	require.False(t, opened.OpenedAt.IsZero(), "the open breaker records when it opened")
	waitBreakerCopies(t) // an instance may serve its copy read before the breaker opened

	start := time.Now()
	r := postTransfer(t, a.Token, "refused-fast", transferBody(wa.ID, wb.ID, 1))
	assert.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	assert.Equal(t, "service_unavailable", r.ErrorCode())
	retryAfter, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if assert.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After")) {
		assert.True(t, retryAfter >= 1 && time.Duration(retryAfter)*time.Second <= cooldown, "Retry-After %d s within the %s cool-down", retryAfter, cooldown)
	}
	t.Logf("refused in %s", time.Since(start))

	// The winning probe's post is delayed, so the others reach the breaker while its
	// saga is still running; a third of the saga wait leaves the rest of the saga time to
	// end within the request, which is when the probe's success is recorded.
	withFaults(t, stepFaults{"post": {Mode: "delay", DelayMs: (sagaWait / 3).Milliseconds()}})
	cooldownEnds := opened.OpenedAt.Add(cooldown)
	time.Sleep(time.Until(cooldownEnds))
	// Rounds of concurrent probes: a round refused whole changed nothing (the breaker was
	// still cooling down, by the functions' clocks); the first round with a passer decides.
	var replies []reply
	round := 0
	err = pollUntil(cooldownEnds.Add(sagaWait), pollInterval, func() (bool, error) {
		round++
		replies = make([]reply, probes)
		errs := make([]error, probes)
		var wg sync.WaitGroup
		for i := range replies {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				replies[i], errs[i] = sendTransfer(a.Token, fmt.Sprintf("probe-%d-%d", round, i), transferBody(wa.ID, wb.ID, 1))
			}(i)
		}
		wg.Wait()
		for _, r := range replies {
			if r.Status != http.StatusServiceUnavailable {
				return true, errors.Join(errs...)
			}
		}
		return false, errors.Join(errs...)
	})
	clearFaults(t)
	require.NoError(t, err, "no probe got through after the cool-down (%d rounds)", round)
	t.Logf("round %d of probes let one through", round)
	passed := 0
	statuses := make([]int, len(replies))
	for i, r := range replies {
		statuses[i] = r.Status
		if r.Status != http.StatusServiceUnavailable {
			assert.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			passed++
		}
	}
	assert.Equal(t, 1, passed, "half-open lets exactly one probe through: %v", statuses)
	assert.Equal(t, "CLOSED", breakerState(t), "the probe's success closed the breaker")
	waitBreakerCopies(t) // an instance may serve its copy read while the probe ran
	assert.Equal(t, http.StatusCreated, postTransfer(t, a.Token, "after", transferBody(wa.ID, wb.ID, 1)).Status)
	requireLedgerConsistent(t)
}

func TestTransferAccess(t *testing.T) {
	a, wa := funded(t, "acc-a", 100)
	b, wb := funded(t, "acc-b", 100)
	c := signupAndLogin(t, "acc-c")
	id := createTransfer(t, a.Token, "h", transferBody(wa.ID, wb.ID, 10, "mode", "hold")).ID
	for _, op := range []string{"capture", "void"} {
		for _, tok := range []string{b.Token, c.Token} {
			r := do(t, call{method: "POST", path: "/v1/transfers/" + id + "/" + op, token: tok, headers: map[string]string{"Idempotency-Key": "x"}})
			assert.Equal(t, http.StatusNotFound, r.Status, "%s by a non-payer", op)
		}
	}
	assert.Equal(t, http.StatusNotFound, do(t, call{method: "GET", path: "/v1/transfers/" + id, token: c.Token}).Status)
	r := postTransfer(t, b.Token, "steal", transferBody(wa.ID, wb.ID, 10))
	assert.Equal(t, http.StatusNotFound, r.Status, "B cannot move money out of A's wallet")
	assert.EqualValues(t, 90, getWallet(t, a.Token, wa.ID).Available)
	v := do(t, call{method: "POST", path: "/v1/transfers/" + id + "/void", token: a.Token, headers: map[string]string{"Idempotency-Key": "v"}})
	assert.Equal(t, http.StatusOK, v.Status)
	requireLedgerConsistent(t)
}

// TestHoldExpiry waits for the every-minute sweeper; it runs in parallel with the
// read-only tests at the end of the suite.
func TestHoldExpiry(t *testing.T) {
	t.Parallel()
	a, wa := funded(t, "expiry", 100)
	_, wb := funded(t, "expiry-b", 0)
	v := createTransfer(t, a.Token, "short", transferBody(wa.ID, wb.ID, 70, "mode", "hold", "hold_expires_in_seconds", 60))
	require.NotNil(t, v.ExpiresAt)
	deadline := v.ExpiresAt.Add(70 * time.Second) // within a minute of expires_at, plus slack
	var got transferView
	err := pollUntil(deadline, 2*time.Second, func() (bool, error) {
		var err error
		got, err = fetchTransfer(a.Token, v.ID)
		return got.Status == "RELEASED", err
	})
	require.NoError(t, err, "hold not released by %s (status %s)", deadline.Format(time.TimeOnly), got.Status)
	assert.Equal(t, "expired", got.FailureReason)
	t.Logf("released %s after expiry", time.Since(*v.ExpiresAt).Round(time.Second))
	assert.Zero(t, getWallet(t, a.Token, wa.ID).Held)
	assert.Equal(t, "hold_expired", do(t, call{method: "POST", path: "/v1/transfers/" + v.ID + "/capture", token: a.Token,
		headers: map[string]string{"Idempotency-Key": "late"}}).ErrorCode())
}

// TestSettleAfterExpiry captures one hold and voids another right after their
// expires_at, before or after the sweeper got to them: both answer 422 hold_expired, and
// each hold is released exactly once with nothing captured. It waits out the minimum
// expiry beside TestHoldExpiry.
func TestSettleAfterExpiry(t *testing.T) {
	t.Parallel()
	a, wa := funded(t, "late-settle", 100)
	b, wb := funded(t, "late-settle-b", 0)
	holds := map[string]string{} // op → transfer id
	var expiresAt time.Time
	for _, op := range []string{"capture", "void"} {
		v := createTransfer(t, a.Token, "late-"+op, transferBody(wa.ID, wb.ID, 30, "mode", "hold", "hold_expires_in_seconds", 60))
		require.NotNil(t, v.ExpiresAt)
		holds[op], expiresAt = v.ID, *v.ExpiresAt
	}
	eventually(t, expiresAt.Add(10*time.Second), "the clock passes expires_at", func() bool { return time.Now().After(expiresAt.Add(time.Second)) })
	for op, id := range holds {
		r := do(t, call{method: "POST", path: "/v1/transfers/" + id + "/" + op, token: a.Token, headers: map[string]string{"Idempotency-Key": "k-" + op}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", op, r.Body)
		assert.Equal(t, "hold_expired", r.ErrorCode(), op)
		v := getTransfer(t, a.Token, id)
		assert.Equal(t, "RELEASED", v.Status, op)
		assert.Equal(t, "expired", v.FailureReason, op)
	}
	w := getWallet(t, a.Token, wa.ID)
	assert.EqualValues(t, 100, w.Balance, "nothing was captured")
	assert.Zero(t, w.Held, "both holds released, once each")
	assert.Zero(t, getWallet(t, b.Token, wb.ID).Balance)
}

// TestCaptureWithAFrozenWallet: while the source or the destination is FROZEN a
// capture is refused and the hold stays HELD; after the unfreeze it captures.
func TestCaptureWithAFrozenWallet(t *testing.T) {
	a, wa := funded(t, "frozen-capture", 500)
	b, wb := funded(t, "frozen-capture-b", 0)
	admin := adminToken(t)
	setStatus := func(id, status string) {
		t.Helper()
		r := do(t, call{method: "PATCH", path: "/v1/wallets/" + id, token: admin, body: map[string]string{"status": status, "reason": "integration test"}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	}
	for i, frozen := range []string{wa.ID, wb.ID} {
		id := createTransfer(t, a.Token, fmt.Sprintf("fc-%d", i), transferBody(wa.ID, wb.ID, 100, "mode", "hold")).ID
		setStatus(frozen, "FROZEN")
		c := do(t, call{method: "POST", path: "/v1/transfers/" + id + "/capture", token: a.Token, headers: map[string]string{"Idempotency-Key": fmt.Sprintf("fcc-%d", i)}})
		assert.Equal(t, http.StatusUnprocessableEntity, c.Status, "%s", c.Body)
		assert.Equal(t, "wallet_not_active", c.ErrorCode())
		assert.Equal(t, "HELD", getTransfer(t, a.Token, id).Status, "the hold stays")
		assert.EqualValues(t, 100, getWallet(t, a.Token, wa.ID).Held)
		setStatus(frozen, "ACTIVE")
		c = do(t, call{method: "POST", path: "/v1/transfers/" + id + "/capture", token: a.Token, headers: map[string]string{"Idempotency-Key": fmt.Sprintf("fcc-%d", i)}})
		require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, c.Status, "the refused key is free again: %s", c.Body)
		assert.Equal(t, "COMPLETED", waitFinal(t, a.Token, id).Status)
	}
	assert.EqualValues(t, 300, getWallet(t, a.Token, wa.ID).Balance)
	assert.EqualValues(t, 200, getWallet(t, b.Token, wb.ID).Balance)
	requireLedgerConsistent(t)
}

// TestReplayAfterTheDestinationIsFrozen: a completed transfer's key replays its answer
// even after a wallet it touched was frozen; the same key on another endpoint is reused.
func TestReplayAfterTheDestinationIsFrozen(t *testing.T) {
	a, wa := funded(t, "replay-frozen", 500)
	_, wb := funded(t, "replay-frozen-b", 0)
	body := transferBody(wa.ID, wb.ID, 100)
	first := postTransfer(t, a.Token, "pay-once", body)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	r := do(t, call{method: "PATCH", path: "/v1/wallets/" + wb.ID, token: adminToken(t), body: map[string]string{"status": "FROZEN", "reason": "integration test"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	again := postTransfer(t, a.Token, "pay-once", body)
	assert.Equal(t, http.StatusCreated, again.Status, "the payment happened: %s", again.Body)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, transferIDOf(t, first), transferIDOf(t, again))

	c := credit(t, a.Token, wa.ID, "pay-once", 100)
	assert.Equal(t, http.StatusUnprocessableEntity, c.Status, "%s", c.Body)
	assert.Equal(t, "idempotency_key_reused", c.ErrorCode(), "one key, two endpoints")
	assert.EqualValues(t, 400, getWallet(t, a.Token, wa.ID).Balance)
	requireLedgerConsistent(t)
}
