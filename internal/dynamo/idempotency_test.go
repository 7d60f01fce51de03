package dynamo

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestStoredOutcome: a record stores its outcome; one written before outcomes were
// stored holds an HTTP status, read as the outcome it stood for.
func TestStoredOutcome(t *testing.T) {
	tests := map[string]struct {
		item idemItem
		want string
	}{
		"stored outcome":         {item: idemItem{ResponseOutcome: "created"}, want: "created"},
		"outcome wins":           {item: idemItem{ResponseOutcome: "done", ResponseStatus: 201}, want: "done"},
		"older record, 201":      {item: idemItem{ResponseStatus: 201}, want: "created"},
		"older record, 200":      {item: idemItem{ResponseStatus: 200}, want: "done"},
		"older record, 202":      {item: idemItem{ResponseStatus: 202}, want: "accepted"},
		"in progress: no answer": {item: idemItem{}, want: ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.item.outcome())
		})
	}
}
