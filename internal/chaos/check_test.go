package chaos

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func balanced() (Expectations, []WalletState) {
	exp := Expectations{
		Credits:     map[string]int64{"k1": 1000, "k2": 500},
		Redemptions: map[string]int64{"r1": 20},
		Ops:         map[string]int{"final COMPLETED": 1},
	}
	wallets := []WalletState{
		{ID: "a", Balance: 720, Available: 720, Entries: []Entry{
			{PostingID: "c1", Amount: 1000, Kind: "credit"}, {PostingID: "t1-capture", Amount: -300, Kind: "transfer"},
			{PostingID: "red1", Amount: 20, Kind: "reward"}, {PostingID: "c1-back", Amount: 200, Kind: "transfer"},
			{PostingID: "c1-out", Amount: -200, Kind: "transfer"}}},
		{ID: "b", Balance: 800, Available: 800, Entries: []Entry{
			{PostingID: "c2", Amount: 500, Kind: "credit"}, {PostingID: "t1-credit", Amount: 300, Kind: "transfer"}}},
	}
	return exp, wallets
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
		{"a posting applied twice", func(_ *Expectations, w []WalletState) {
			w[1].Entries = append(w[1].Entries, Entry{PostingID: "t1-credit", Amount: 0, Kind: "transfer"})
		}, "posting t1-credit twice"},
		{"statement off its balance", func(_ *Expectations, w []WalletState) { w[0].Entries = w[0].Entries[1:] }, "statement sums to"},
		{"a hold left open", func(_ *Expectations, w []WalletState) { w[0].Held, w[0].Available = 100, 620 }, "still held"},
		{"negative balance", func(_ *Expectations, w []WalletState) {
			w[0].Balance, w[0].Available = -1, -1
		}, "balance -1"},
		{"a transfer needing review", func(e *Expectations, _ []WalletState) { e.Ops["final NEEDS_REVIEW"] = 1 }, "need review"},
		{"an unanswered operation", func(e *Expectations, _ []WalletState) { e.Undetermined = []string{"credit k9"} }, "no definitive answer: credit k9"},
		{"a replay that differs", func(e *Expectations, _ []WalletState) { e.Mismatches = []string{"credit k1"} }, "replay differs"},
		{"a 5xx outside the faults", func(e *Expectations, _ []WalletState) { e.ServerErrors = []string{"GET /v1/me: 502"} }, "5xx outside"},
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

func TestServerErrorsAreBlamedOnTheFaultWindow(t *testing.T) {
	w := NewWorkload(&Client{}, nil, Config{FaultGrace: time.Second}, nil)
	t0 := time.Now()
	w.exp.windows = [][2]time.Time{{t0, t0.Add(time.Second)}}
	w.observe("GET", "/in", Reply{Status: http.StatusServiceUnavailable, At: t0.Add(500 * time.Millisecond)})
	w.observe("GET", "/grace", Reply{Status: http.StatusServiceUnavailable, At: t0.Add(1500 * time.Millisecond)})
	w.observe("GET", "/after", Reply{Status: http.StatusBadGateway, At: t0.Add(3 * time.Second)})
	w.observe("GET", "/before", Reply{Status: http.StatusInternalServerError, At: t0.Add(-time.Second)})
	w.observe("GET", "/ok", Reply{Status: http.StatusOK, At: t0.Add(10 * time.Second)})
	assert.Len(t, w.exp.ServerErrors, 2)
	assert.Contains(t, w.exp.ServerErrors[0], "/after")
	assert.Contains(t, w.exp.ServerErrors[1], "/before")
	assert.Equal(t, 5, func() int {
		n := 0
		for _, c := range w.exp.Statuses {
			n += c
		}
		return n
	}())
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
