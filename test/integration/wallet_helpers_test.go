//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	adminEmail    = "admin@wallet.local" // made by scripts/admin-local.py (deploy-local.sh)
	adminPassword = "local admin password"
)

var (
	adminMu  sync.Mutex
	adminTok string
)

// adminToken logs in as the deployment's admin, once per test process unless
// forgetAdminToken drops the token (a key rotation retires it).
func adminToken(t *testing.T) string {
	t.Helper()
	adminMu.Lock()
	defer adminMu.Unlock()
	if adminTok == "" {
		tok, err := adminLogin()
		require.NoError(t, err)
		adminTok = tok
	}
	return adminTok
}

func forgetAdminToken() {
	adminMu.Lock()
	defer adminMu.Unlock()
	adminTok = ""
}

// adminLogin logs in as the deployment's admin. The deployment made it (signed up,
// verified and granted with cmd/admin by scripts/admin-local.py, after every deploy of
// scripts/deploy-local.sh); the tests never make it themselves.
func adminLogin() (string, error) {
	r, err := send(call{method: "POST", path: "/v1/auth/login", body: map[string]string{"email": adminEmail, "password": adminPassword}})
	if err != nil {
		return "", err
	}
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &s) != nil || s.AccessToken == "" {
		return "", fmt.Errorf("admin login (scripts/deploy-local.sh makes the admin): %d %s", r.Status, r.Body)
	}
	return s.AccessToken, nil
}

// requireLedgerConsistent runs the ledger invariant check through the admin endpoint,
// and checks that no hold is left open past its expiry.
func requireLedgerConsistent(t *testing.T) {
	t.Helper()
	requireNoStaleHolds(t)
	r := do(t, call{method: "GET", path: "/v1/admin/ledger/check", token: adminToken(t)})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	rep := r.JSON(t)
	require.Equal(t, true, rep["ok"], "ledger invariants violated: %v", rep["violations"])
	assert.Positive(t, rep["wallets_checked"])
}

type walletView struct {
	ID        string `json:"id"`
	OwnerID   string `json:"owner_id"`
	Currency  string `json:"currency"`
	Balance   int64  `json:"balance"`
	Held      int64  `json:"held"`
	Available int64  `json:"available"`
	Status    string `json:"status"`
}

func createWallet(t *testing.T, token, currency string) walletView {
	t.Helper()
	r := do(t, call{method: "POST", path: "/v1/wallets", token: token, body: map[string]string{"currency": currency}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var w walletView
	decode(t, r, &w)
	return w
}

func getWallet(t *testing.T, token, id string) walletView {
	t.Helper()
	return get[walletView](t, token, "/v1/wallets/"+id)
}

// sendCredit POSTs a credit; safe in goroutines.
func sendCredit(token, walletID, key string, amount int64) (reply, error) {
	return send(call{method: "POST", path: "/v1/wallets/" + walletID + "/credits", token: token,
		headers: map[string]string{"Idempotency-Key": key}, body: map[string]any{"amount": amount}})
}

func credit(t *testing.T, token, walletID, key string, amount int64) reply {
	t.Helper()
	r, err := sendCredit(token, walletID, key, amount)
	require.NoError(t, err)
	return r
}

type entryView struct {
	ID           string `json:"id"`
	PostingID    string `json:"posting_id"`
	Amount       int64  `json:"amount"`
	BalanceAfter int64  `json:"balance_after"`
	Kind         string `json:"kind"`
}

type entriesPage struct {
	Items      []entryView `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

func listEntries(t *testing.T, token, walletID, query string) entriesPage {
	t.Helper()
	r := do(t, call{method: "GET", path: "/v1/wallets/" + walletID + "/entries" + query, token: token})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var p entriesPage
	decode(t, r, &p)
	return p
}

// allEntries pages through a whole statement.
func allEntries(t *testing.T, token, walletID string) []entryView {
	t.Helper()
	var out []entryView
	q := "?limit=200"
	for page := 0; page < 1000; page++ {
		p := listEntries(t, token, walletID, q)
		out = append(out, p.Items...)
		if p.NextCursor == nil {
			return out
		}
		q = "?limit=200&cursor=" + *p.NextCursor
	}
	t.Fatal("statement did not end")
	return nil
}
