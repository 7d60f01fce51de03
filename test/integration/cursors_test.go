//go:build integration

package integration

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idPage is any paged list: items with an id, and the next cursor.
type idPage struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func listPage(t *testing.T, token, path, query string) (idPage, reply) {
	t.Helper()
	r := do(t, call{method: "GET", path: path + query, token: token})
	var p idPage
	if r.Status == http.StatusOK {
		decode(t, r, &p)
	}
	return p, r
}

// TestCursorsAreNotPassports pages every list with a cursor from another user's list
// and with forged cursors: another user's cursor only positions the caller in their own
// items (a statement cursor is refused outright, being bound to its wallet), and a
// forged one is 400 invalid_cursor. No list ever shows another user's items.
func TestCursorsAreNotPassports(t *testing.T) {
	a, wa := funded(t, "cursor-a", 10_000)
	b, wb := funded(t, "cursor-b", 10_000)
	c := signupAndLogin(t, "cursor-c")
	wc := createWallet(t, c.Token, "USD")
	for i := range 2 {
		completeTransfer(t, a.Token, fmt.Sprintf("a-%d", i), transferBody(wa.ID, wb.ID, 500))
		completeTransfer(t, b.Token, fmt.Sprintf("b-%d", i), transferBody(wb.ID, wa.ID, 500))
	}
	for i := range 2 { // b's newest transfers are none of a's business
		completeTransfer(t, b.Token, fmt.Sprintf("bc-%d", i), transferBody(wb.ID, wc.ID, 100))
	}
	eventually(t, eventDeadline(), "both users have notifications and points history", func() bool {
		for _, u := range []account{a, b} {
			if len(notifications(t, u.Token).Items) < 2 || len(rewards(t, u.Token).Items) < 2 {
				return false
			}
		}
		return true
	})

	lists := []struct {
		name         string
		pathA, pathB string
		boundToList  bool // the cursor names its list: another list's cursor is refused
	}{
		{"transfers", "/v1/transfers", "/v1/transfers", false},
		{"notifications", "/v1/notifications", "/v1/notifications", false},
		{"rewards", "/v1/rewards", "/v1/rewards", false},
		{"entries", "/v1/wallets/" + wa.ID + "/entries", "/v1/wallets/" + wb.ID + "/entries", true},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			own, r := listPage(t, a.Token, l.pathA, "?limit=100")
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			mine := map[string]bool{}
			for _, it := range own.Items {
				mine[it.ID] = true
			}
			require.NotEmpty(t, mine)

			theirs, r := listPage(t, b.Token, l.pathB, "?limit=1")
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.NotNil(t, theirs.NextCursor, "b's list has a second page")
			require.False(t, mine[theirs.Items[0].ID], "the two users' items differ")

			got, r := listPage(t, a.Token, l.pathA, "?limit=100&cursor="+url.QueryEscape(*theirs.NextCursor))
			if l.boundToList {
				assert.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
				assert.Equal(t, "invalid_cursor", r.ErrorCode())
			} else {
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
				for _, it := range got.Items {
					assert.True(t, mine[it.ID], "a's list with b's cursor shows %s, which is not a's", it.ID)
				}
			}

			forged := []string{"bogus!!", base64.RawURLEncoding.EncodeToString([]byte("USER#someone-else")), "%00"}
			for _, c := range forged {
				_, r := listPage(t, a.Token, l.pathA, "?cursor="+url.QueryEscape(c))
				assert.Equal(t, http.StatusBadRequest, r.Status, "cursor %q: %s", c, r.Body)
				assert.Equal(t, "invalid_cursor", r.ErrorCode(), "cursor %q", c)
			}
		})
	}
}

// TestTransferListsPageAcrossWallets lists transfers by user (every wallet's index
// partition, merged) and by wallet (one partition), page by page: every transfer once,
// newest first, and only the wallet's own in a wallet's list.
func TestTransferListsPageAcrossWallets(t *testing.T) {
	a, wa := funded(t, "list-a", 10_000)
	b, wb := funded(t, "list-b", 10_000)
	eurA := createWallet(t, a.Token, "EUR")
	require.Equal(t, http.StatusCreated, credit(t, a.Token, eurA.ID, "fund-eur", 1_000).Status)
	c := signupAndLogin(t, "list-c")
	eurC := createWallet(t, c.Token, "EUR")

	var want []string // a's transfers, oldest first
	for i := range 4 {
		r := postTransfer(t, a.Token, fmt.Sprintf("ab-%d", i), transferBody(wa.ID, wb.ID, 100))
		want = append(want, transferIDOf(t, r))
	}
	r := postTransfer(t, b.Token, "ba", transferBody(wb.ID, wa.ID, 100))
	want = append(want, transferIDOf(t, r))
	r = postTransfer(t, a.Token, "ac-eur", map[string]any{"source_wallet_id": eurA.ID, "destination_wallet_id": eurC.ID, "amount": 100, "currency": "EUR"})
	eurID := transferIDOf(t, r)
	want = append(want, eurID)

	all := func(token, query string) []string {
		t.Helper()
		var ids []string
		cursor := ""
		for range 20 {
			q := "?limit=2" + query
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			p, r := listPage(t, token, "/v1/transfers", q)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.LessOrEqual(t, len(p.Items), 2)
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			if p.NextCursor == nil {
				return ids
			}
			cursor = *p.NextCursor
		}
		t.Fatal("the list did not end")
		return nil
	}
	newestFirst := func(ids []string) []string {
		out := make([]string, 0, len(ids))
		for i := len(ids) - 1; i >= 0; i-- {
			out = append(out, ids[i])
		}
		return out
	}
	assert.Equal(t, newestFirst(want), all(a.Token, ""), "a's list: both wallets, each transfer once, newest first")
	assert.Equal(t, newestFirst(want[:5]), all(a.Token, "&wallet_id="+wa.ID), "a's USD wallet only")
	assert.Equal(t, []string{eurID}, all(a.Token, "&wallet_id="+eurA.ID))
	assert.Equal(t, newestFirst(want[:5]), all(b.Token, ""), "the payee sees the same transfers")
	assert.Equal(t, []string{eurID}, all(c.Token, ""))
}
