package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func ptr(n int64) *int64 { return &n }

// balanced is a run that conserved every cent: two credits, a redemption, an immediate
// transfer t1 of 300 from a to b, a hold h1 of 400 from b to a captured in part (150),
// a hold h2 voided and a transfer t2 that failed.
func balanced() (Expectations, []WalletState) {
	exp := Expectations{
		Credits:     map[string]int64{"k1": 1000, "k2": 500},
		Redemptions: map[string]int64{"r1": 20},
		Withdrawals: map[string]int64{},
		Ops:         map[string]int{"final COMPLETED": 2, "final RELEASED": 1, "final FAILED": 1},
		Ends: map[string]TransferEnd{
			"t1": {ID: "t1", Status: "COMPLETED", Source: "a", Destination: "b", Amount: 300},
			"h1": {ID: "h1", Status: "COMPLETED", Source: "b", Destination: "a", Amount: 400, Captured: ptr(150)},
			"h2": {ID: "h2", Status: "RELEASED", Source: "a", Destination: "b", Amount: 70},
			"t2": {ID: "t2", Status: "FAILED", Source: "b", Destination: "a", Amount: 9},
		},
	}
	wallets := []WalletState{
		{ID: "a", Balance: 870, Available: 870, Entries: []Entry{
			{PostingID: "c1", Amount: 1000, Kind: "credit"}, {PostingID: "t1-post", Amount: -300, Kind: "transfer"},
			{PostingID: "red1", Amount: 20, Kind: "reward"}, {PostingID: "h1-post", Amount: 150, Kind: "transfer"}}},
		{ID: "b", Balance: 650, Available: 650, Entries: []Entry{
			{PostingID: "c2", Amount: 500, Kind: "credit"}, {PostingID: "t1-post", Amount: 300, Kind: "transfer"},
			{PostingID: "h1-post", Amount: -150, Kind: "transfer"}}},
	}
	return exp, wallets
}

// move adds an entry to a wallet's statement and its balance, keeping both in step (so
// that only the transfer check can see what is wrong).
func move(w *WalletState, posting string, amount int64) {
	w.Entries = append(w.Entries, Entry{PostingID: posting, Amount: amount, Kind: "transfer"})
	w.Balance += amount
	w.Available += amount
}

// drop takes a posting's entries out of a wallet's statement and balance.
func drop(w *WalletState, posting string) {
	kept := w.Entries[:0]
	for _, e := range w.Entries {
		if e.PostingID == posting {
			w.Balance -= e.Amount
			w.Available -= e.Amount
			continue
		}
		kept = append(kept, e)
	}
	w.Entries = kept
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(*Expectations, []WalletState)
		want  string // a problem that must be reported; "" for none
	}{
		{"a conserving run", func(*Expectations, []WalletState) {}, ""},
		{"money made", func(_ *Expectations, w []WalletState) {
			w[1].Balance += 5
			w[1].Available += 5
			w[1].Entries = append(w[1].Entries, Entry{PostingID: "x", Amount: 5, Kind: "transfer"})
		}, "money not conserved"},
		{"an accepted credit lost", func(e *Expectations, _ []WalletState) { e.Credits["k3"] = 7 }, "money not conserved"},
		{"an accepted withdrawal that took nothing", func(e *Expectations, _ []WalletState) { e.Withdrawals["w1"] = 7 }, "money not conserved"},
		{"a withdrawal taken and accounted for", func(e *Expectations, w []WalletState) {
			e.Withdrawals["w1"] = 7
			w[0].Balance -= 7
			w[0].Available -= 7
			w[0].Entries = append(w[0].Entries, Entry{PostingID: "w1", Amount: -7, Kind: "withdrawal"})
		}, ""},
		{"a posting applied twice", func(_ *Expectations, w []WalletState) {
			w[1].Entries = append(w[1].Entries, Entry{PostingID: "t1-post", Amount: 0, Kind: "transfer"})
		}, "posting t1-post twice"},
		{"statement off its balance", func(_ *Expectations, w []WalletState) { w[0].Entries = w[0].Entries[1:] }, "statement sums to"},
		{"a hold left open", func(_ *Expectations, w []WalletState) { w[0].Held, w[0].Available = 100, 620 }, "still held"},
		{"negative balance", func(_ *Expectations, w []WalletState) {
			w[0].Balance, w[0].Available = -1, -1
		}, "balance -1"},
		{"a transfer needing review", func(e *Expectations, _ []WalletState) { e.Ops["final NEEDS_REVIEW"] = 1 }, "need review"},
		{"an unanswered operation", func(e *Expectations, _ []WalletState) { e.Undetermined = []string{"credit k9"} }, "no definitive answer: credit k9"},
		{"a replay that differs", func(e *Expectations, _ []WalletState) { e.Mismatches = []string{"credit k1"} }, "replay differs"},
		{"a 5xx not excused", func(e *Expectations, _ []WalletState) { e.ServerErrors = []string{"GET /v1/me: 502"} }, "5xx not excused"},
		{"an answer that could not be read", func(e *Expectations, _ []WalletState) {
			e.Unreadable = []string{"transfer k7: decode 201"}
		}, "unreadable answer: transfer k7"},
		{"a completed transfer that moved nothing", func(_ *Expectations, w []WalletState) {
			drop(&w[0], "t1-post")
			drop(&w[1], "t1-post")
		}, "transfer t1 COMPLETED moving 300 from a to b: posting t1-post shows no entry"},
		{"a completed hold that moved its whole amount, not its capture", func(_ *Expectations, w []WalletState) {
			move(&w[0], "h1-post", 250)
			move(&w[1], "h1-post", -250)
		}, "transfer h1 COMPLETED moving 150 from b to a: posting h1-post shows"},
		{"a completed transfer posted twice", func(_ *Expectations, w []WalletState) {
			move(&w[0], "t1-post", -300)
			move(&w[1], "t1-post", 300)
		}, "transfer t1 COMPLETED moving 300 from a to b: posting t1-post shows -300 on a, -300 on a, +300 on b, +300 on b"},
		{"a completed transfer paid to the wrong wallet", func(e *Expectations, _ []WalletState) {
			e.Ends["t1"] = TransferEnd{ID: "t1", Status: "COMPLETED", Source: "a", Destination: "c", Amount: 300}
		}, "transfer t1 COMPLETED moving 300 from a to c"},
		{"a released hold that moved money", func(_ *Expectations, w []WalletState) {
			move(&w[0], "h2-post", -70)
			move(&w[1], "h2-post", 70)
		}, "transfer h2 RELEASED moved money: posting h2-post shows -70 on a, +70 on b"},
		{"a failed transfer that moved money", func(_ *Expectations, w []WalletState) {
			move(&w[1], "t2-post", -9)
			move(&w[0], "t2-post", 9)
		}, "transfer t2 FAILED moved money"},
		{"a posting of a transfer nobody saw end", func(_ *Expectations, w []WalletState) {
			move(&w[0], "t9-post", -5)
			move(&w[1], "t9-post", 5)
		}, "posting t9-post (-5 on a, +5 on b) belongs to no transfer the clients saw end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, wallets := balanced()
			tt.spoil(&exp, wallets)
			problems := Verify(exp, wallets)
			if tt.want == "" {
				assert.Empty(t, problems)
				return
			}
			found := false
			for _, p := range problems {
				found = found || strings.Contains(p, tt.want)
			}
			assert.True(t, found, "want a problem with %q, got %v", tt.want, problems)
		})
	}
}

// Only the breaker's 503 inside a fault window (or its grace) is excused; every other
// 5xx, anywhere, is a problem, and so is a body that is not JSON.
func TestObserveExcusesOnlyTheBreakersFaultPhase503(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	breaker := []byte(`{"error":{"code":"service_unavailable","message":"transfers are paused"}}`)
	tests := []struct {
		name           string
		r              Reply
		wantServerErr  bool
		wantUnreadable bool
	}{
		{"the breaker's 503 in the window", Reply{Status: 503, Body: breaker, At: t0.Add(500 * time.Millisecond)}, false, false},
		{"the breaker's 503 in the grace", Reply{Status: 503, Body: breaker, At: t0.Add(1500 * time.Millisecond)}, false, false},
		{"the breaker's 503 after the grace", Reply{Status: 503, Body: breaker, At: t0.Add(3 * time.Second)}, true, false},
		{"the breaker's 503 before the window", Reply{Status: 503, Body: breaker, At: t0.Add(-time.Second)}, true, false},
		{"another 503 in the window", Reply{Status: 503, Body: []byte(`{"error":{"code":"timeout"}}`), At: t0.Add(500 * time.Millisecond)}, true, false},
		{"a 502 in the window", Reply{Status: 502, Body: []byte(`{"message":"Internal server error"}`), At: t0.Add(500 * time.Millisecond)}, true, false},
		{"a 500 in the window", Reply{Status: 500, At: t0.Add(500 * time.Millisecond)}, true, false},
		{"a 503 that is not JSON in the window", Reply{Status: 503, Body: []byte("<html>"), At: t0.Add(500 * time.Millisecond)}, true, true},
		{"a 200 that is not JSON", Reply{Status: 200, Body: []byte("ok"), At: t0}, false, true},
		{"a 204 without a body", Reply{Status: 204, At: t0}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWorkload(&Client{}, nil, Config{FaultGrace: time.Second}, nil)
			w.exp.windows = [][2]time.Time{{t0, t0.Add(time.Second)}}
			w.observe("GET", "/x", tt.r)
			assert.Equal(t, tt.wantServerErr, len(w.exp.ServerErrors) == 1, "server errors: %v", w.exp.ServerErrors)
			assert.Equal(t, tt.wantUnreadable, len(w.exp.Unreadable) == 1, "unreadable: %v", w.exp.Unreadable)
			assert.Equal(t, map[int]int{tt.r.Status: 1}, w.exp.Statuses)
		})
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{`{"error":{"code":"insufficient_funds"}}`, "insufficient_funds"},
		{`{"id":"t1"}`, ""},
		{``, ""},
		{`<html>bad gateway</html>`, codeUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			assert.Equal(t, tt.want, Reply{Body: []byte(tt.body)}.Code())
		})
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{503, `{"error":{"code":"breaker_open"}}`, true},
		{502, `{"message":"Internal server error"}`, true},
		{429, `{"error":{"code":"rate_limited"}}`, true},
		{409, `{"error":{"code":"request_in_progress"}}`, true},
		{409, `{"error":{"code":"contention"}}`, true},
		{409, `{"error":{"code":"email_taken"}}`, false},
		{422, `{"error":{"code":"insufficient_funds"}}`, false},
		{201, `{}`, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, retryable(Reply{Status: tt.status, Body: []byte(tt.body)}), "%d %s", tt.status, tt.body)
	}
}
