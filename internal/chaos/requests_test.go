package chaos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// A payment's answer is read whatever it says: the paying transfer is recorded for the
// settle and the check (also a FAILED one's, from the error's details), a completed one
// may be refunded by the payee, and an answer that cannot be read is a problem.
func TestPayRecordsItsTransfer(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		want         payment
		wantReceived bool
		wantProblem  bool
	}{
		{"completed", 201, `{"id":"t1","status":"COMPLETED","amount":300}`, payment{transfer: "t1"}, true, false},
		{"still running", 202, `{"id":"t1","status":"PENDING","amount":300}`, payment{transfer: "t1"}, false, false},
		{"failed: payable again", 422, `{"error":{"code":"transfer_failed","details":{"transfer_id":"t1"}}}`,
			payment{transfer: "t1", failed: true}, false, false},
		{"refused: another payment runs", 409, `{"error":{"code":"payment_request_paying"}}`, payment{}, false, false},
		{"unreadable", 201, `<html>`, payment{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Idempotency-Key"))
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			payer, payee := User{ID: "ua", WalletID: "a"}, User{ID: "ub", WalletID: "b"}
			w := NewWorkload(&Client{BaseURL: srv.URL, HTTP: srv.Client()}, nil, Config{}, []User{payer, payee})
			p := w.pay(context.Background(), payer, payee, "r1", "pay", "k1")
			assert.Equal(t, []string{"POST /v1/payment-requests/r1/pay k1"}, got)
			assert.Equal(t, tt.want, p)
			if tt.want.transfer != "" {
				assert.Equal(t, payer, w.exp.Transfers[tt.want.transfer])
			} else {
				assert.Empty(t, w.exp.Transfers)
			}
			assert.Equal(t, tt.wantReceived, len(w.received["b"]) == 1, "received: %v", w.received)
			assert.Equal(t, tt.wantProblem, len(w.exp.Unreadable) > 0, "unreadable: %v", w.exp.Unreadable)
		})
	}
}

// The end state of the requests is every user's sent list, every page of it, with the
// asker's and the addressee's wallets resolved from the users.
func TestObserveRequestsReadsEverySentPage(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.Header.Get("Authorization")+" "+r.URL.RawQuery)
		switch {
		case r.Header.Get("Authorization") != "Bearer ta":
			_, _ = w.Write([]byte(`{"items":[],"next_cursor":null}`))
		case r.URL.Query().Get("cursor") == "":
			_, _ = w.Write([]byte(`{"items":[{"id":"r1","payee_id":"ua","amount":5,"status":"PAID","transfer_id":"t1","to":{"email":"b@x.test"}}],"next_cursor":"c2"}`))
		default:
			_, _ = w.Write([]byte(`{"items":[{"id":"r2","payee_id":"ua","amount":7,"status":"DECLINED","to":{"email":"b@x.test"}}],"next_cursor":null}`))
		}
	}))
	defer srv.Close()
	users := []User{{ID: "ua", Email: "a@x.test", Token: "ta", WalletID: "a"}, {ID: "ub", Email: "b@x.test", Token: "tb", WalletID: "b"}}
	w := NewWorkload(&Client{BaseURL: srv.URL, HTTP: srv.Client()}, nil, Config{}, users)
	require.NoError(t, w.observeRequests(context.Background()))
	assert.Equal(t, []string{"Bearer ta role=sent&limit=100", "Bearer ta role=sent&limit=100&cursor=c2", "Bearer tb role=sent&limit=100"}, queries)
	assert.Equal(t, map[string]RequestEnd{
		"r1": {ID: "r1", Status: "PAID", Amount: 5, PayeeWallet: "a", PayerWallet: "b", TransferID: "t1"},
		"r2": {ID: "r2", Status: "DECLINED", Amount: 7, PayeeWallet: "a", PayerWallet: "b"},
	}, w.exp.Requests)
	assert.Equal(t, 1, w.exp.Ops["request ended PAID"])
}
