//go:build integration

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Money-moving tests run one at a time, so the ledger check after each sees a ledger
// at rest: every wallet and external account, not just the test's own.

func TestWallets(t *testing.T) {
	a := signupAndLogin(t, "wallets")
	usd := createWallet(t, a.Token, "USD")
	assert.Equal(t, a.ID, usd.OwnerID)
	assert.Equal(t, "USD", usd.Currency)
	assert.Equal(t, "ACTIVE", usd.Status)
	assert.Zero(t, usd.Balance)
	assert.Zero(t, usd.Held)
	assert.Zero(t, usd.Available)

	t.Run("one wallet per currency", func(t *testing.T) {
		r := do(t, call{method: "POST", path: "/v1/wallets", token: a.Token, body: map[string]string{"currency": "USD"}})
		assert.Equal(t, http.StatusConflict, r.Status)
		assert.Equal(t, "wallet_exists", r.ErrorCode())
	})
	t.Run("bad input", func(t *testing.T) {
		for _, body := range []any{
			map[string]string{"currency": "XYZ"}, map[string]string{"currency": "usd"}, map[string]string{"currency": ""},
			map[string]any{"currency": 840}, map[string]string{"currency": "USD", "owner_id": a.ID}, `{"currency":`,
		} {
			r := do(t, call{method: "POST", path: "/v1/wallets", token: a.Token, body: body})
			assert.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", body, r.Body)
			assert.NotEmpty(t, r.ErrorCode())
		}
	})
	t.Run("get and list", func(t *testing.T) {
		assert.Equal(t, usd, getWallet(t, a.Token, usd.ID))
		list := get[struct{ Items []walletView }](t, a.Token, "/v1/wallets")
		assert.Equal(t, []walletView{usd}, list.Items)
	})
	t.Run("unknown and malformed ids are not found", func(t *testing.T) {
		for _, id := range []string{"00000000-0000-4000-8000-000000000000", "nope", strings.Repeat("a", 300)} {
			r := do(t, call{method: "GET", path: "/v1/wallets/" + id, token: a.Token})
			assert.Equal(t, http.StatusNotFound, r.Status, id)
			assert.Equal(t, "not_found", r.ErrorCode())
		}
		// A path that matches no route is answered by API Gateway itself (its own body).
		assert.Equal(t, http.StatusNotFound, do(t, call{method: "GET", path: "/v1/wallets/..%2F..", token: a.Token}).Status)
	})
	t.Run("at most 10 wallets", func(t *testing.T) {
		for _, cur := range []string{"EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK"} {
			createWallet(t, a.Token, cur)
		}
		r := do(t, call{method: "POST", path: "/v1/wallets", token: a.Token, body: map[string]string{"currency": "PLN"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		assert.Equal(t, "wallet_limit_reached", r.ErrorCode())
	})
	t.Run("no token", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, do(t, call{method: "GET", path: "/v1/wallets"}).Status)
	})
	requireLedgerConsistent(t)
}

func TestCredits(t *testing.T) {
	a := signupAndLogin(t, "credits")
	w := createWallet(t, a.Token, "USD")

	first := credit(t, a.Token, w.ID, "topup-1", 1250)
	require.Equal(t, http.StatusCreated, first.Status, "%s", first.Body)
	c := first.JSON(t)
	assert.Equal(t, w.ID, c["wallet_id"])
	assert.EqualValues(t, 1250, c["amount"])
	assert.NotContains(t, c, "balance_after", "a credit adds without reading the wallet back; the statement has the balance")
	assert.EqualValues(t, 1250, getWallet(t, a.Token, w.ID).Balance)
	assert.Equal(t, "USD", c["currency"])
	assert.NotEmpty(t, c["id"])
	assert.Empty(t, first.Header.Get("Idempotent-Replayed"))

	t.Run("replay returns the first response", func(t *testing.T) {
		again := credit(t, a.Token, w.ID, "topup-1", 1250)
		assert.Equal(t, first.Status, again.Status)
		assert.Equal(t, string(first.Body), string(again.Body))
		assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	})
	t.Run("same key, different request", func(t *testing.T) {
		r := credit(t, a.Token, w.ID, "topup-1", 999)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Equal(t, "idempotency_key_reused", r.ErrorCode())
	})
	t.Run("keys are scoped per user", func(t *testing.T) {
		b := signupAndLogin(t, "credits-b")
		bw := createWallet(t, b.Token, "USD")
		r := credit(t, b.Token, bw.ID, "topup-1", 1250)
		assert.Equal(t, http.StatusCreated, r.Status, "another user's identical key is a new request")
	})

	refusals := []struct {
		name   string
		key    string
		body   any
		status int
		code   string // the function's
		at     door
	}{
		{"missing key", "", map[string]any{"amount": 5}, 400, "idempotency_key_required", missingParameters},
		{"key too long", strings.Repeat("k", 256), map[string]any{"amount": 5}, 400, "invalid_idempotency_key", pastTheDoor},
		{"key with a space", "a b", map[string]any{"amount": 5}, 400, "invalid_idempotency_key", pastTheDoor},
		{"zero", "z", map[string]any{"amount": 0}, 400, "invalid_amount", badBody},
		{"negative", "n", map[string]any{"amount": -5}, 400, "invalid_amount", badBody},
		{"fraction", "f", `{"amount": 1.5}`, 400, "invalid_amount", badBody},
		{"exponent", "e", `{"amount": 1e3}`, 400, "invalid_amount", badBody},
		{"string", "s", `{"amount": "10"}`, 400, "invalid_amount", badBody},
		// The engine's validator does not check format: int64 (AWS's may refuse it at the door).
		{"beyond int64", "b", `{"amount": 9223372036854775808}`, 400, "invalid_amount", pastTheDoor},
		{"null", "nl", `{"amount": null}`, 400, "invalid_amount", badBody},
		{"missing amount", "m", map[string]any{}, 400, "invalid_amount", badBody},
		{"unknown field", "u", map[string]any{"amount": 5, "currency": "EUR"}, 400, "unknown_field", badBody},
		{"description too long", "d", map[string]any{"amount": 5, "description": strings.Repeat("d", 141)}, 400, "invalid_description", badBody},
		{"description with a control character", "dc", map[string]any{"amount": 5, "description": "top\u0000up"}, 400, "invalid_description", pastTheDoor},
		{"over the per-credit limit", "big", map[string]any{"amount": 1_000_001}, 422, "limit_exceeded", pastTheDoor},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			c := call{method: "POST", path: "/v1/wallets/" + w.ID + "/credits", token: a.Token, body: tt.body}
			if tt.key != "" {
				c.headers = map[string]string{"Idempotency-Key": tt.key}
			}
			expectRefusal(t, c, a, tt.status, tt.code, tt.at)
		})
	}
	t.Run("a refused credit may be retried with the same key", func(t *testing.T) {
		r := do(t, call{method: "POST", path: "/v1/wallets/" + w.ID + "/credits", token: a.Token,
			headers: map[string]string{"Idempotency-Key": "big"}, body: map[string]any{"amount": 1_000_001}})
		assert.Equal(t, "limit_exceeded", r.ErrorCode(), "the refusal was not stored as the key's answer")
	})
	t.Run("daily limit", func(t *testing.T) {
		d := createWallet(t, a.Token, "EUR")
		for i := 0; i < 5; i++ {
			r := credit(t, a.Token, d.ID, fmt.Sprintf("day-%d", i), 1_000_000)
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		}
		r := credit(t, a.Token, d.ID, "day-5", 1)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Equal(t, "limit_exceeded", r.ErrorCode())
		assert.EqualValues(t, 5_000_000, getWallet(t, a.Token, d.ID).Balance)
	})

	got := getWallet(t, a.Token, w.ID)
	assert.EqualValues(t, 1250, got.Balance, "refusals and replays changed nothing")
	entries := allEntries(t, a.Token, w.ID)
	require.Len(t, entries, 1)
	assert.Equal(t, c["id"], entries[0].PostingID)
	requireLedgerConsistent(t)
}

func TestConcurrentCreditsWithDistinctKeys(t *testing.T) {
	const clients = 50
	a := signupAndLogin(t, "concurrent")
	w := createWallet(t, a.Token, "USD")
	replies := concurrently(t, clients, func(i int) (reply, error) {
		return sendCredit(a.Token, w.ID, fmt.Sprintf("c-%d", i), int64(100+i))
	})
	var want int64
	for i := 0; i < clients; i++ {
		assert.Equal(t, http.StatusCreated, replies[i].Status, "client %d: %s", i, replies[i].Body)
		want += int64(100 + i)
	}
	assert.Equal(t, want, getWallet(t, a.Token, w.ID).Balance)
	entries := allEntries(t, a.Token, w.ID)
	require.Len(t, entries, clients)
	var sum int64
	for i, e := range entries {
		sum += e.Amount
		if i > 0 {
			assert.Equal(t, entries[i-1].BalanceAfter-entries[i-1].Amount, e.BalanceAfter, "balance_after chain")
		}
	}
	assert.Equal(t, want, sum)
	requireLedgerConsistent(t)
}

func TestConcurrentCreditsWithOneKey(t *testing.T) {
	const clients = 20
	a := signupAndLogin(t, "onekey")
	w := createWallet(t, a.Token, "USD")
	replies := concurrently(t, clients, func(int) (reply, error) { return sendCredit(a.Token, w.ID, "same-key", 700) })
	var created []reply
	for i, r := range replies {
		switch r.Status {
		case http.StatusCreated:
			created = append(created, r)
		case http.StatusConflict:
			assert.Equal(t, "request_in_progress", r.ErrorCode(), "client %d", i)
		default:
			t.Errorf("client %d: %d %s", i, r.Status, r.Body)
		}
	}
	require.NotEmpty(t, created)
	for _, r := range created {
		assert.True(t, bytes.Equal(created[0].Body, r.Body), "every success is the first response")
	}
	final := credit(t, a.Token, w.ID, "same-key", 700)
	assert.Equal(t, string(created[0].Body), string(final.Body))
	assert.EqualValues(t, 700, getWallet(t, a.Token, w.ID).Balance)
	assert.Len(t, allEntries(t, a.Token, w.ID), 1)
	requireLedgerConsistent(t)
}

// TestAbandonedClaimStopsBlocking writes, with the SDK, the record a crashed request
// leaves behind, and checks that it blocks only until its own deadline.
func TestAbandonedClaimStopsBlocking(t *testing.T) {
	a := signupAndLogin(t, "abandoned")
	w := createWallet(t, a.Token, "USD")
	out := stackOutputs(t)
	db := dynamodb.NewFromConfig(awsConfig(t))
	hash, err := idempotency.Hash("credit", w.ID, wallet.CreditInput{Amount: money.Minor(300)})
	require.NoError(t, err)
	put := func(key string, inProgressUntil time.Time) {
		item, err := attributevalue.MarshalMap(map[string]any{
			"pk": a.ID + "#" + key, "user_id": a.ID, "request_hash": hash, "status": idempotency.StatusInProgress, "token": "crashed",
			"in_progress_until": inProgressUntil.Unix(), "expires_at": time.Now().Add(24 * time.Hour).Unix(),
		})
		require.NoError(t, err)
		_, err = db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(out["IdempotencyTableName"]), Item: item})
		require.NoError(t, err)
	}

	put("live", time.Now().Add(time.Minute))
	r := credit(t, a.Token, w.ID, "live", 300)
	assert.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
	assert.Equal(t, "request_in_progress", r.ErrorCode())
	assert.NotEmpty(t, r.Header.Get("Retry-After"))

	put("crashed", time.Now().Add(-time.Second))
	r = credit(t, a.Token, w.ID, "crashed", 300)
	assert.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	assert.EqualValues(t, 300, getWallet(t, a.Token, w.ID).Balance)
	requireLedgerConsistent(t)
}

func TestWalletAccessAndStatus(t *testing.T) {
	a := signupAndLogin(t, "owner")
	b := signupAndLogin(t, "stranger")
	admin := adminToken(t)
	w := createWallet(t, a.Token, "USD")
	require.Equal(t, http.StatusCreated, credit(t, a.Token, w.ID, "k1", 500).Status)

	t.Run("a stranger sees nothing", func(t *testing.T) {
		for _, c := range []call{
			{method: "GET", path: "/v1/wallets/" + w.ID},
			{method: "GET", path: "/v1/wallets/" + w.ID + "/entries"},
			{method: "POST", path: "/v1/wallets/" + w.ID + "/credits", headers: map[string]string{"Idempotency-Key": "x"}, body: map[string]any{"amount": 5}},
			{method: "PATCH", path: "/v1/wallets/" + w.ID, body: map[string]string{"status": "CLOSED"}},
			{method: "PATCH", path: "/v1/wallets/" + w.ID, body: map[string]string{"status": "FROZEN", "reason": "integration test"}},
		} {
			c.token = b.Token
			r := do(t, c)
			assert.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", c.method, c.path, r.Body)
		}
		r := do(t, call{method: "GET", path: "/v1/wallets", token: b.Token})
		assert.JSONEq(t, `{"items":[]}`, string(r.Body))
		r = do(t, call{method: "GET", path: "/v1/admin/ledger/check", token: b.Token})
		assert.Equal(t, http.StatusForbidden, r.Status)
	})
	t.Run("owners cannot freeze", func(t *testing.T) {
		r := do(t, call{method: "PATCH", path: "/v1/wallets/" + w.ID, token: a.Token, body: map[string]string{"status": "FROZEN", "reason": "integration test"}})
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Equal(t, "forbidden", r.ErrorCode())
	})
	t.Run("admins read any wallet", func(t *testing.T) {
		assert.Equal(t, w.ID, getWallet(t, admin, w.ID).ID)
	})
	t.Run("admins do not move another user's money", func(t *testing.T) {
		r := credit(t, admin, w.ID, "admin-credit", 5)
		assert.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
		_, sink := funded(t, "admin-sink", 0)
		r = postTransfer(t, admin, "admin-transfer", transferBody(w.ID, sink.ID, 5))
		assert.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
		r = do(t, call{method: "POST", path: "/v1/rewards/redeem", token: admin, headers: map[string]string{"Idempotency-Key": "admin-redeem"},
			body: map[string]any{"points": 1, "wallet_id": w.ID}})
		assert.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
		hold := postTransfer(t, a.Token, "owner-hold", transferBody(w.ID, sink.ID, 5, "mode", "hold"))
		require.Equal(t, http.StatusCreated, hold.Status, "%s", hold.Body)
		for _, op := range []string{"capture", "void"} {
			r = do(t, call{method: "POST", path: "/v1/transfers/" + transferIDOf(t, hold) + "/" + op, token: admin, headers: map[string]string{"Idempotency-Key": "admin-" + op}})
			assert.Equal(t, http.StatusNotFound, r.Status, "%s by an admin: %s", op, r.Body)
		}
		r = do(t, call{method: "POST", path: "/v1/transfers/" + transferIDOf(t, hold) + "/void", token: a.Token, headers: map[string]string{"Idempotency-Key": "owner-void"}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.EqualValues(t, 500, getWallet(t, a.Token, w.ID).Balance)
	})
	t.Run("frozen refuses movements, unfreeze restores", func(t *testing.T) {
		r := do(t, call{method: "PATCH", path: "/v1/wallets/" + w.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "integration test"}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "FROZEN", r.JSON(t)["status"])
		r = credit(t, a.Token, w.ID, "k2", 5)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Equal(t, "wallet_not_active", r.ErrorCode())
		r = do(t, call{method: "PATCH", path: "/v1/wallets/" + w.ID, token: a.Token, body: map[string]string{"status": "CLOSED"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "an owner cannot close a frozen wallet: %s", r.Body)
		assert.Equal(t, "wallet_not_active", r.ErrorCode())
		r = do(t, call{method: "PATCH", path: "/v1/wallets/" + w.ID, token: admin, body: map[string]string{"status": "ACTIVE", "reason": "integration test"}})
		require.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, http.StatusCreated, credit(t, a.Token, w.ID, "k2", 5).Status, "the refused key is free again")
	})
	t.Run("close needs an empty wallet and is final", func(t *testing.T) {
		r := do(t, call{method: "PATCH", path: "/v1/wallets/" + w.ID, token: a.Token, body: map[string]string{"status": "CLOSED"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Equal(t, "wallet_not_empty", r.ErrorCode())

		e := createWallet(t, a.Token, "EUR")
		r = do(t, call{method: "PATCH", path: "/v1/wallets/" + e.ID, token: admin, body: map[string]string{"status": "CLOSED"}})
		assert.Equal(t, http.StatusForbidden, r.Status, "closing is the owner's")
		r = do(t, call{method: "PATCH", path: "/v1/wallets/" + e.ID, token: a.Token, body: map[string]string{"status": "CLOSED"}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		assert.Equal(t, "CLOSED", r.JSON(t)["status"])
		for _, st := range []string{"ACTIVE", "FROZEN"} {
			r = do(t, call{method: "PATCH", path: "/v1/wallets/" + e.ID, token: admin, body: map[string]string{"status": st, "reason": "integration test"}})
			assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
			assert.Equal(t, "wallet_closed", r.ErrorCode())
		}
		r = credit(t, a.Token, e.ID, "k3", 5)
		assert.Equal(t, "wallet_not_active", r.ErrorCode())
	})
	t.Run("bad status", func(t *testing.T) {
		expectRefusal(t, call{method: "PATCH", path: "/v1/wallets/" + w.ID, token: a.Token, body: map[string]string{"status": "DELETED"}},
			a, http.StatusBadRequest, "invalid_status", badBody)
	})
	assert.EqualValues(t, 505, getWallet(t, a.Token, w.ID).Balance)
	requireLedgerConsistent(t)
}

// TestStatementPaging pages through 500 entries, 37 at a time, while credits keep
// arriving: no entry may be repeated or skipped.
func TestStatementPaging(t *testing.T) {
	const (
		initial = 500
		workers = 8
		limit   = 37
	)
	a := signupAndLogin(t, "paging")
	w := createWallet(t, a.Token, "USD")
	keys := make(chan int, initial)
	for i := 0; i < initial; i++ {
		keys <- i
	}
	close(keys)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := range keys {
				r, err := sendCredit(a.Token, w.ID, fmt.Sprintf("seed-%d", k), 1)
				if err == nil && r.Status != http.StatusCreated {
					err = fmt.Errorf("seed credit %d: %d %s", k, r.Status, r.Body)
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))

	type liveResult struct {
		credits int
		err     error
	}
	stop := make(chan struct{})
	arrived := make(chan liveResult, 1)
	go func() { // keeps crediting while the pages are read
		var res liveResult
		defer func() { arrived <- res }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := sendCredit(a.Token, w.ID, fmt.Sprintf("live-%d", res.credits), 1)
			if err != nil {
				res.err = err
				return
			}
			if r.Status == http.StatusCreated {
				res.credits++
			}
		}
	}()
	// The pages are read on this goroutine; whatever happens, the writer stops and is
	// waited for before the test ends.
	var stopOnce sync.Once
	live := func() liveResult {
		stopOnce.Do(func() { close(stop) })
		res := <-arrived
		arrived <- res
		return res
	}
	t.Cleanup(func() { live() })

	seen := map[string]bool{}
	var balances []int64
	q := fmt.Sprintf("?limit=%d", limit)
	for page := 0; page < 100; page++ {
		p := listEntries(t, a.Token, w.ID, q)
		assert.LessOrEqual(t, len(p.Items), limit)
		for _, e := range p.Items {
			assert.False(t, seen[e.ID], "entry %s repeated", e.ID)
			seen[e.ID] = true
			balances = append(balances, e.BalanceAfter)
		}
		if p.NextCursor == nil {
			break
		}
		q = fmt.Sprintf("?limit=%d&cursor=%s", limit, *p.NextCursor)
	}
	lr := live()
	require.NoError(t, lr.err, "the live writer")

	// Every credit is 1, so balance_after counts entries: newest first, the page walk
	// must go down by exactly one each step, all the way to 1.
	require.NotEmpty(t, balances)
	assert.GreaterOrEqual(t, balances[0], int64(initial))
	for i := 1; i < len(balances); i++ {
		require.Equal(t, balances[i-1]-1, balances[i], "skipped or repeated at position %d", i)
	}
	assert.EqualValues(t, 1, balances[len(balances)-1])
	t.Logf("read %d entries while %d more arrived", len(balances), lr.credits)

	for _, bad := range []string{"?limit=0", "?limit=201", "?limit=x", "?cursor=bogus", "?cursor=ZTE6MQ"} {
		r := do(t, call{method: "GET", path: "/v1/wallets/" + w.ID + "/entries" + bad, token: a.Token})
		assert.Equal(t, http.StatusBadRequest, r.Status, bad)
	}
	requireLedgerConsistent(t)
}

// TestFourEyesOnStatusChanges: an admin's freeze or unfreeze needs a reason, and no
// admin changes the status of their own wallet; each refusal changes nothing.
func TestFourEyesOnStatusChanges(t *testing.T) {
	t.Parallel()
	admin := adminToken(t)
	own := adminsOwnWallet(t, admin, "CHF")
	_, other := funded(t, "four-eyes", 0)

	r := do(t, call{method: "PATCH", path: "/v1/wallets/" + other.ID, token: admin, body: map[string]string{"status": "FROZEN"}})
	assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	assert.Equal(t, "reason_required", r.ErrorCode())
	r = do(t, call{method: "PATCH", path: "/v1/wallets/" + own.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "testing myself"}})
	assert.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	assert.Equal(t, "four_eyes", r.ErrorCode())
	assert.Equal(t, "ACTIVE", getWallet(t, admin, own.ID).Status)
	assert.Equal(t, "ACTIVE", getWallet(t, admin, other.ID).Status)
	assert.Empty(t, auditOf(t, own.ID), "a refused change leaves no audit record")
	assert.Empty(t, auditOf(t, other.ID))

	r = do(t, call{method: "PATCH", path: "/v1/wallets/" + other.ID, token: admin, body: map[string]string{"status": "FROZEN", "reason": "four-eyes test"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.Equal(t, "four-eyes test", auditOf(t, other.ID)[0].Reason)
}

// adminsOwnWallet is the deployment's admin's own wallet in currency: the admin is shared
// by every test and run against the stack, so it may exist already.
func adminsOwnWallet(t *testing.T, admin, currency string) walletView {
	t.Helper()
	r := do(t, call{method: "POST", path: "/v1/wallets", token: admin, body: map[string]string{"currency": currency}})
	if r.Status == http.StatusCreated {
		var w walletView
		decode(t, r, &w)
		return w
	}
	require.Equal(t, "wallet_exists", r.ErrorCode(), "%s", r.Body)
	page := get[struct {
		Items []walletView `json:"items"`
	}](t, admin, "/v1/wallets")
	for _, w := range page.Items {
		if w.Currency == currency {
			return w
		}
	}
	require.Failf(t, "no wallet", "the admin has no %s wallet, though creating one answered wallet_exists", currency)
	return walletView{}
}
