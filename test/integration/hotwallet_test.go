//go:build integration

package integration

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHotWalletBurst sends 50 credits and 50 transfers at one wallet at the same time.
// Every one of them must land exactly once, with no 5xx: money changes add to the
// stored wallet under conditions instead of racing on a version, and a function answers
// before its timeout. Statements must be exact, the breaker must stay CLOSED, and
// another user's transfer must go through right after the burst.
func TestHotWalletBurst(t *testing.T) {
	requireCleanSlate(t)
	const (
		credits, creditMinor     = 50, 10
		transfers, transferMinor = 50, 30
		fundMinor                = 5_000
	)
	a, hot := funded(t, "hot", fundMinor)
	b, sink := funded(t, "hot-sink", 0)

	type outcome struct {
		kind  string // "credit" or "transfer"
		reply reply
		err   error
	}
	outcomes := make([]outcome, credits+transfers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range outcomes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start // all at once
			if i < credits {
				r, err := sendCredit(a.Token, hot.ID, fmt.Sprintf("hot-credit-%d", i), creditMinor)
				outcomes[i] = outcome{kind: "credit", reply: r, err: err}
				return
			}
			r, err := sendTransfer(a.Token, fmt.Sprintf("hot-transfer-%d", i), transferBody(hot.ID, sink.ID, transferMinor))
			outcomes[i] = outcome{kind: "transfer", reply: r, err: err}
		}(i)
	}
	close(start)
	wg.Wait()

	serverErrors := 0
	var transferIDs []string
	for i, o := range outcomes {
		if !assert.NoError(t, o.err, "%s %d", o.kind, i) {
			continue
		}
		if o.reply.Status >= http.StatusInternalServerError {
			serverErrors++
		}
		switch o.kind {
		case "credit":
			assert.Equal(t, http.StatusCreated, o.reply.Status, "credit %d: %s", i, o.reply.Body)
		case "transfer":
			if assert.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, o.reply.Status, "transfer %d: %s", i, o.reply.Body) {
				id, err := transferIDIn(o.reply)
				if assert.NoError(t, err) {
					transferIDs = append(transferIDs, id)
				}
			}
		}
	}
	assert.Zero(t, serverErrors, "no 5xx under contention on one wallet")
	require.Len(t, transferIDs, transfers)

	// Another user is not paused by the burst.
	c, other := funded(t, "bystander", 100)
	_, otherSink := funded(t, "bystander-sink", 0)
	r := postTransfer(t, c.Token, "bystander-1", transferBody(other.ID, otherSink.ID, 40))
	require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, r.Status, "%s", r.Body)
	assert.Equal(t, "COMPLETED", waitFinal(t, c.Token, transferIDOf(t, r)).Status)

	finals := make([]error, len(transferIDs))
	for i, id := range transferIDs {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			v, err := awaitFinal(a.Token, id)
			if err == nil && v.Status != "COMPLETED" {
				err = fmt.Errorf("transfer %s ended %s (%s)", id, v.Status, v.FailureReason)
			}
			finals[i] = err
		}(i, id)
	}
	wg.Wait()
	require.NoError(t, errors.Join(finals...), "every transfer completes: funds cover them all")

	wantHot := int64(fundMinor + credits*creditMinor - transfers*transferMinor)
	w := getWallet(t, a.Token, hot.ID)
	assert.Equal(t, wantHot, w.Balance)
	assert.Zero(t, w.Held)
	assert.EqualValues(t, transfers*transferMinor, getWallet(t, b.Token, sink.ID).Balance)
	requireExactStatement(t, a.Token, hot.ID, wantHot, 1+credits+transfers)
	requireExactStatement(t, b.Token, sink.ID, transfers*transferMinor, transfers)

	assert.Equal(t, "CLOSED", breakerState(t), "contention on one wallet does not open the breaker")
	requireLedgerConsistent(t)
}

// TestLostRacesDoNotTripTheBreaker makes every post (an immediate transfer's one step) lose its optimistic race for its
// whole budget (the injected fault "contend"), more times than the breaker's threshold:
// the transfers fail with reason contention, the breaker stays CLOSED, and the next
// transfer (another user's) goes through. Serial: it injects deployment-wide faults.
func TestLostRacesDoNotTripTheBreaker(t *testing.T) {
	isolateBreaker(t)
	failuresMax := deployNumber(t, "BreakerFailuresMax")
	a, hot := funded(t, "racer", 1_000)
	_, sink := funded(t, "racer-sink", 0)
	withFaults(t, stepFaults{"post": {Mode: "contend"}})

	concurrently(t, failuresMax+1, func(i int) (transferView, error) {
		r, err := sendTransfer(a.Token, fmt.Sprintf("race-%d", i), transferBody(hot.ID, sink.ID, 1))
		if err != nil {
			return transferView{}, err
		}
		id, err := transferIDIn(r)
		if err != nil {
			return transferView{}, err
		}
		v, err := awaitFinal(a.Token, id)
		if err == nil && (v.Status != "FAILED" || v.FailureReason != "contention") {
			err = fmt.Errorf("transfer %s ended %s (%s), want FAILED (contention)", id, v.Status, v.FailureReason)
		}
		return v, err
	})
	clearFaults(t)

	assert.Equal(t, "CLOSED", breakerState(t))
	assert.Zero(t, breakerNow(t).Failures, "lost races are not counted")
	w := getWallet(t, a.Token, hot.ID)
	assert.EqualValues(t, 1_000, w.Balance)
	assert.Zero(t, w.Held, "every failed transfer released nothing it had not reserved")

	c, other := funded(t, "racer-bystander", 10)
	_, otherSink := funded(t, "racer-bystander-sink", 0)
	r := postTransfer(t, c.Token, "after-races", transferBody(other.ID, otherSink.ID, 10))
	require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, r.Status, "%s", r.Body)
	assert.Equal(t, "COMPLETED", waitFinal(t, c.Token, transferIDOf(t, r)).Status)
	requireLedgerConsistent(t)
}

// requireExactStatement reads a wallet's whole statement and checks it against its
// balance: the count of entries, their sum, and the running balance of every line.
func requireExactStatement(t *testing.T, token, walletID string, balance int64, entries int) {
	t.Helper()
	es := allEntries(t, token, walletID)
	require.Len(t, es, entries)
	running := balance
	for i, e := range es {
		assert.Equal(t, running, e.BalanceAfter, "entry %d (%s): balance_after", i, e.ID)
		running -= e.Amount
	}
	assert.Zero(t, running, "the oldest entry starts from zero")
}
