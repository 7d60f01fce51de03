package chaos

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// paidRequests is a clean end: request p PAID by t1 (300 from a to b), d declined with
// nothing paid, q PENDING again after its payment f1 FAILED.
func paidRequests() (map[string]User, map[string]RequestEnd, map[string]TransferEnd) {
	asked := map[string]User{"p": {ID: "ub"}, "d": {ID: "ua"}, "q": {ID: "ub"}}
	reqs := map[string]RequestEnd{
		"p": {ID: "p", Status: "PAID", Amount: 300, PayerWallet: "a", PayeeWallet: "b", TransferID: "t1"},
		"d": {ID: "d", Status: "DECLINED", Amount: 50, PayerWallet: "b", PayeeWallet: "a"},
		"q": {ID: "q", Status: "PENDING", Amount: 70, PayerWallet: "a", PayeeWallet: "b"},
	}
	ends := map[string]TransferEnd{
		"t1": {ID: "t1", Status: "COMPLETED", Source: "a", Destination: "b", Amount: 300, RequestID: "p"},
		"f1": {ID: "f1", Status: "FAILED", Source: "a", Destination: "b", Amount: 70, RequestID: "q"},
		"t0": {ID: "t0", Status: "COMPLETED", Source: "b", Destination: "a", Amount: 5}, // an ordinary transfer
	}
	return asked, reqs, ends
}

func TestCheckRequests(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(map[string]User, map[string]RequestEnd, map[string]TransferEnd)
		want  string // a problem that must be reported; "" for none
	}{
		{"every request tied to its money", func(map[string]User, map[string]RequestEnd, map[string]TransferEnd) {}, ""},
		{"a request paid by two transfers that moved money", func(_ map[string]User, _ map[string]RequestEnd, e map[string]TransferEnd) {
			e["t2"] = TransferEnd{ID: "t2", Status: "COMPLETED", Source: "a", Destination: "b", Amount: 300, RequestID: "p"}
		}, "request p PAID: 2 transfers bound to it moved money"},
		{"a PAID request whose transfer FAILED", func(_ map[string]User, _ map[string]RequestEnd, e map[string]TransferEnd) {
			t := e["t1"]
			t.Status = "FAILED"
			e["t1"] = t
		}, "request p PAID, but its transfer t1 ended FAILED"},
		{"a PAID request naming a transfer nobody saw end", func(_ map[string]User, r map[string]RequestEnd, _ map[string]TransferEnd) {
			p := r["p"]
			p.TransferID = "t9"
			r["p"] = p
		}, `request p PAID by transfer "t9", which the clients never saw end`},
		{"a PAID request naming a completed transfer of another request", func(_ map[string]User, r map[string]RequestEnd, e map[string]TransferEnd) {
			p := r["p"]
			p.TransferID = "t0"
			r["p"] = p
		}, "request p PAID by transfer t0, which is not the one transfer bound to it"},
		{"a PAID request whose transfer moved another amount", func(_ map[string]User, _ map[string]RequestEnd, e map[string]TransferEnd) {
			t := e["t1"]
			t.Amount = 200
			e["t1"] = t
		}, "request p PAID 300 from a to b: transfer t1 moved 200 from a to b"},
		{"a PAID request paid into the wrong wallet", func(_ map[string]User, _ map[string]RequestEnd, e map[string]TransferEnd) {
			t := e["t1"]
			t.Destination = "c"
			e["t1"] = t
		}, "request p PAID 300 from a to b: transfer t1 moved 300 from a to c"},
		{"a declined request that moved money", func(_ map[string]User, _ map[string]RequestEnd, e map[string]TransferEnd) {
			e["t3"] = TransferEnd{ID: "t3", Status: "COMPLETED", Source: "b", Destination: "a", Amount: 50, RequestID: "d"}
		}, "request d DECLINED, but transfer t3 bound to it moved 50"},
		{"a request PENDING again that moved money", func(_ map[string]User, _ map[string]RequestEnd, e map[string]TransferEnd) {
			t := e["f1"]
			t.Status = "COMPLETED"
			e["f1"] = t
		}, "request q PENDING, but transfer f1 bound to it moved 70"},
		{"a request left PAYING", func(_ map[string]User, r map[string]RequestEnd, _ map[string]TransferEnd) {
			q := r["q"]
			q.Status = "PAYING"
			r["q"] = q
		}, "request q ended PAYING after every transfer ended"},
		{"a request made but not listed", func(_ map[string]User, r map[string]RequestEnd, _ map[string]TransferEnd) {
			delete(r, "d")
		}, "request d was made, but its asker's list does not show it"},
		{"a transfer paying a request nobody asked", func(_ map[string]User, _ map[string]RequestEnd, e map[string]TransferEnd) {
			e["t4"] = TransferEnd{ID: "t4", Status: "FAILED", Source: "a", Destination: "b", Amount: 9, RequestID: "z"}
		}, "transfer t4 FAILED pays request z, which no asker's list shows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked, reqs, ends := paidRequests()
			tt.spoil(asked, reqs, ends)
			problems := checkRequests(asked, reqs, ends)
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

// Verify ties the requests to their money with the rest of the check.
func TestVerifyChecksRequests(t *testing.T) {
	exp, wallets := balanced()
	exp.Asked = map[string]User{"r": {ID: "ua"}}
	assert.Contains(t, Verify(exp, wallets), "request r was made, but its asker's list does not show it")
	exp.Requests = map[string]RequestEnd{"r": {ID: "r", Status: "PAID", Amount: 300, PayerWallet: "a", PayeeWallet: "b", TransferID: "t1"}}
	tl := exp.Ends["t1"]
	tl.RequestID = "r"
	exp.Ends["t1"] = tl
	assert.Empty(t, Verify(exp, wallets))
}
