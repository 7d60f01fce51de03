package chaos

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
)

// WalletState is one wallet at the end of a run, as the API shows it.
type WalletState struct {
	ID                       string
	Balance, Held, Available int64
	Entries                  []Entry
}

// Entry is one statement line.
type Entry struct {
	PostingID string `json:"posting_id"`
	Amount    int64  `json:"amount"`
	Kind      string `json:"kind"`
}

// entryPagesMax bounds the statement pages read per wallet (100 entries a page).
const entryPagesMax = 1_000

// Observe reads every user's wallet and whole statement, newest first.
func Observe(ctx context.Context, api *Client, users []User) ([]WalletState, error) {
	var out []WalletState
	for _, u := range users {
		r, err := api.Settle(ctx, "GET", "/v1/wallets/"+u.WalletID, u.Token, "", nil)
		if err != nil || r.Status != http.StatusOK {
			return nil, Unexpected("read wallet "+u.WalletID, r, err)
		}
		var w struct {
			Balance   int64 `json:"balance"`
			Held      int64 `json:"held"`
			Available int64 `json:"available"`
		}
		if err := r.Decode(&w); err != nil {
			return nil, err
		}
		s := WalletState{ID: u.WalletID, Balance: w.Balance, Held: w.Held, Available: w.Available}
		cursor := ""
		for page := 0; page < entryPagesMax; page++ {
			path := "/v1/wallets/" + u.WalletID + "/entries?limit=100"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			r, err := api.Settle(ctx, "GET", path, u.Token, "", nil)
			if err != nil || r.Status != http.StatusOK {
				return nil, Unexpected("read statement of "+u.WalletID, r, err)
			}
			var p struct {
				Items      []Entry `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			if err := r.Decode(&p); err != nil {
				return nil, err
			}
			s.Entries = append(s.Entries, p.Items...)
			if p.NextCursor == nil || *p.NextCursor == "" {
				break
			}
			cursor = *p.NextCursor
		}
		out = append(out, s)
	}
	return out, nil
}

// Verify checks the end state against what the clients were told, and returns every
// problem found (none when the run conserved every cent):
//   - money is conserved: the wallets hold exactly the credits and redemptions the API
//     accepted (transfers only move money between wallets);
//   - every wallet's statement sums to its balance, no posting appears twice in one
//     statement, nothing is left held, and no balance is negative;
//   - every credit accepted appears once in its wallet's statement;
//   - every transfer ended in a final state, none needing review;
//   - every operation got a definitive answer, every replay was identical, and no 5xx
//     came outside a fault phase.
func Verify(exp Expectations, wallets []WalletState) []string {
	var problems []string
	var want, have int64
	for _, a := range exp.Credits {
		want += a
	}
	for _, a := range exp.Redemptions {
		want += a
	}
	credits := 0
	for _, w := range wallets {
		have += w.Balance
		var sum int64
		seen := map[string]bool{}
		for _, e := range w.Entries {
			sum += e.Amount
			if seen[e.PostingID] {
				problems = append(problems, fmt.Sprintf("wallet %s: posting %s twice in the statement", w.ID, e.PostingID))
			}
			seen[e.PostingID] = true
			if e.Kind == "credit" {
				credits++
			}
		}
		if sum != w.Balance {
			problems = append(problems, fmt.Sprintf("wallet %s: statement sums to %d, balance is %d", w.ID, sum, w.Balance))
		}
		if w.Balance < 0 || w.Available < 0 {
			problems = append(problems, fmt.Sprintf("wallet %s: balance %d, available %d", w.ID, w.Balance, w.Available))
		}
		if w.Held != 0 || w.Available != w.Balance {
			problems = append(problems, fmt.Sprintf("wallet %s: %d still held after every transfer ended", w.ID, w.Held))
		}
	}
	if have != want {
		problems = append(problems, fmt.Sprintf("money not conserved: wallets hold %d, accepted credits and redemptions add to %d", have, want))
	}
	if credits != len(exp.Credits) {
		problems = append(problems, fmt.Sprintf("%d credit entries for %d accepted credits", credits, len(exp.Credits)))
	}
	if n := exp.Ops["final NEEDS_REVIEW"]; n > 0 {
		problems = append(problems, fmt.Sprintf("%d transfers need review", n))
	}
	problems = append(problems, prefixed("no definitive answer: ", exp.Undetermined)...)
	problems = append(problems, prefixed("replay differs: ", exp.Mismatches)...)
	problems = append(problems, prefixed("5xx outside a fault phase: ", exp.ServerErrors)...)
	return problems
}

func prefixed(p string, items []string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, p+it)
	}
	sort.Strings(out)
	return out
}
