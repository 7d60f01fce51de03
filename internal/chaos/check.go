package chaos

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
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
		if s.Entries, err = allPages[Entry](ctx, api, u, "/v1/wallets/"+u.WalletID+"/entries", "statement of "+u.WalletID, entryPagesMax); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Verify checks the end state against what the clients were told, and returns every
// problem found (none when the run conserved every cent):
//   - money is conserved: the wallets hold exactly the credits and redemptions the API
//     accepted, less the withdrawals it accepted (transfers, refunds and request payments
//     only move money between wallets);
//   - every wallet's statement sums to its balance, no posting appears twice in one
//     statement, nothing is left held, and no balance is negative;
//   - every credit accepted appears once in its wallet's statement;
//   - every transfer ended in a final state, none needing review, and its wallets'
//     statements show what that state says (see checkTransfers);
//   - no transfer's completed refunds give back more than it moved (see checkRefunds);
//   - every payment request moved its amount once if PAID and nothing otherwise (see
//     checkRequests);
//   - every operation got a definitive answer that could be read, every replay was
//     identical, and no 5xx came but the breaker's 503s in a fault phase.
func Verify(exp Expectations, wallets []WalletState) []string {
	var problems []string
	var want, have int64
	for _, a := range exp.Credits {
		want += a
	}
	for _, a := range exp.Redemptions {
		want += a
	}
	for _, a := range exp.Withdrawals {
		want -= a
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
		problems = append(problems, fmt.Sprintf("money not conserved: wallets hold %d, accepted credits and redemptions less withdrawals add to %d", have, want))
	}
	if credits != len(exp.Credits) {
		problems = append(problems, fmt.Sprintf("%d credit entries for %d accepted credits", credits, len(exp.Credits)))
	}
	if n := exp.Ops["final NEEDS_REVIEW"]; n > 0 {
		problems = append(problems, fmt.Sprintf("%d transfers need review", n))
	}
	problems = append(problems, checkTransfers(exp.Ends, wallets)...)
	problems = append(problems, checkRefunds(exp.Ends)...)
	problems = append(problems, checkRequests(exp.Asked, exp.Requests, exp.Ends)...)
	problems = append(problems, prefixed("no definitive answer: ", exp.Undetermined)...)
	problems = append(problems, prefixed("unreadable answer: ", exp.Unreadable)...)
	problems = append(problems, prefixed("replay differs: ", exp.Mismatches)...)
	problems = append(problems, prefixed("5xx not excused (only the breaker's 503 in a fault phase is): ", exp.ServerErrors)...)
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

// TransferEnd is a transfer as the API showed it once it was final.
type TransferEnd struct {
	ID, Status          string
	Source, Destination string // wallet ids
	Amount              int64
	Captured            *int64 // captured_amount: set on a COMPLETED hold
	RefundOf            string // a refund's: the transfer it refunds
	RequestID           string // a payment's: the payment request it pays
}

// moved is what a COMPLETED transfer moved: the captured amount of a hold, else the amount.
func (t TransferEnd) moved() int64 {
	if t.Captured != nil {
		return *t.Captured
	}
	return t.Amount
}

// postingSuffix makes a transfer's posting id from its id (transfer.PostingIDOf): the
// one posting a transfer ever makes.
const postingSuffix = "-post"

// line is one statement entry and the wallet whose statement shows it.
type line struct {
	wallet string
	amount int64
}

// checkTransfers checks every final transfer against its wallets' statements: a
// COMPLETED one moved exactly what it says once (its posting <id>-post: one entry taking
// the amount from the source, one giving it to the destination, nothing else); a FAILED
// or RELEASED one moved nothing. A transfer posting in a statement that no final
// transfer explains (a transfer whose answer was lost) is a problem too.
func checkTransfers(ends map[string]TransferEnd, wallets []WalletState) []string {
	byPosting := map[string][]line{}
	for _, w := range wallets {
		for _, e := range w.Entries {
			if strings.HasSuffix(e.PostingID, postingSuffix) {
				byPosting[e.PostingID] = append(byPosting[e.PostingID], line{wallet: w.ID, amount: e.Amount})
			}
		}
	}
	var problems []string
	for _, t := range ends {
		posting := t.ID + postingSuffix
		got := byPosting[posting]
		delete(byPosting, posting)
		switch t.Status {
		case "COMPLETED":
			want := []line{{wallet: t.Source, amount: -t.moved()}, {wallet: t.Destination, amount: t.moved()}}
			if !sameLines(got, want) {
				problems = append(problems, fmt.Sprintf("transfer %s COMPLETED moving %d from %s to %s: posting %s shows %s",
					t.ID, t.moved(), t.Source, t.Destination, posting, linesText(got)))
			}
		case "FAILED", "RELEASED":
			if len(got) > 0 {
				problems = append(problems, fmt.Sprintf("transfer %s %s moved money: posting %s shows %s", t.ID, t.Status, posting, linesText(got)))
			}
		default: // NEEDS_REVIEW: every case is resolved on the desk before the check
			problems = append(problems, fmt.Sprintf("transfer %s ended %s", t.ID, t.Status))
		}
	}
	for posting, got := range byPosting {
		problems = append(problems, fmt.Sprintf("posting %s (%s) belongs to no transfer the clients saw end", posting, linesText(got)))
	}
	sort.Strings(problems)
	return problems
}

func sameLines(got, want []line) bool {
	if len(got) != len(want) {
		return false
	}
	rest := slices.Clone(got)
	for _, l := range want {
		i := slices.Index(rest, l)
		if i < 0 {
			return false
		}
		rest = slices.Delete(rest, i, i+1)
	}
	return true
}

func linesText(ls []line) string {
	if len(ls) == 0 {
		return "no entry"
	}
	sorted := slices.Clone(ls)
	slices.SortFunc(sorted, func(a, b line) int {
		if c := strings.Compare(a.wallet, b.wallet); c != 0 {
			return c
		}
		return int(min(max(a.amount-b.amount, -1), 1))
	})
	parts := make([]string, 0, len(sorted))
	for _, l := range sorted {
		parts = append(parts, fmt.Sprintf("%+d on %s", l.amount, l.wallet))
	}
	return strings.Join(parts, ", ")
}

// allPages reads every page of a list route as u, 100 items a page, following
// next_cursor for at most pagesMax pages.
func allPages[T any](ctx context.Context, api *Client, u User, route, what string, pagesMax int) ([]T, error) {
	var all []T
	cursor := ""
	for page := 0; page < pagesMax; page++ {
		path := route + "?limit=100"
		if strings.Contains(route, "?") {
			path = route + "&limit=100"
		}
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r, err := api.Settle(ctx, "GET", path, u.Token, "", nil)
		if err != nil || r.Status != http.StatusOK {
			return nil, Unexpected("read "+what, r, err)
		}
		var p struct {
			Items      []T     `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := r.Decode(&p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == nil || *p.NextCursor == "" {
			break
		}
		cursor = *p.NextCursor
	}
	return all, nil
}
