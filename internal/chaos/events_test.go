package chaos

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompletionEvents: a completed transfer must have told its payer exactly once, and
// no other transfer may have told anyone it completed; it reads every page.
func TestCompletionEvents(t *testing.T) {
	type note struct {
		Type       string `json:"type"`
		Message    string `json:"message"`
		TransferID string `json:"transfer_id"`
	}
	sent := func(id string) note {
		return note{Type: completedEventType, Message: "You sent $1.00.", TransferID: id}
	}
	received := func(id string) note {
		return note{Type: completedEventType, Message: "You received $1.00.", TransferID: id}
	}
	refunding := func(id string) note { // a refund's payer is the payee who refunds
		return note{Type: completedEventType, Message: "You refunded $1.00.", TransferID: id}
	}
	refunded := func(id string) note {
		return note{Type: completedEventType, Message: "You were refunded $1.00.", TransferID: id}
	}
	tests := []struct {
		name  string
		pages [][]note // the payer's notifications, page by page
		want  []string
	}{
		{name: "once each", pages: [][]note{{sent("t1"), received("t9")}, {sent("t2")}}},
		{name: "a refund tells its payer", pages: [][]note{{sent("t1"), refunding("t2"), refunded("t2")}}},
		{name: "told twice", pages: [][]note{{sent("t1")}, {sent("t2"), sent("t1")}},
			want: []string{"transfer t1 COMPLETED: its payer was told 2 times"}},
		{name: "never told", pages: [][]note{{sent("t1")}},
			want: []string{"transfer t2 COMPLETED: its payer was told 0 times"}},
		{name: "a failed transfer told completed", pages: [][]note{{sent("t1"), sent("t2"), sent("t3")}},
			want: []string{"transfer t3 did not complete, but its payer was told so 1 times"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				page := 0
				if r.URL.Query().Get("cursor") == "2" {
					page = 1
				}
				body := map[string]any{"items": tt.pages[page], "next_cursor": nil}
				if page+1 < len(tt.pages) {
					body["next_cursor"] = "2"
				}
				assert.NoError(t, json.NewEncoder(w).Encode(body))
			}))
			defer srv.Close()
			c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
			ends := map[string]TransferEnd{"t1": {ID: "t1", Status: "COMPLETED"}, "t2": {ID: "t2", Status: "COMPLETED"},
				"t3": {ID: "t3", Status: "FAILED"}}
			got, err := CompletionEvents(context.Background(), c, []User{{Email: "a@x.test", Token: "a"}}, ends, 0, 0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
