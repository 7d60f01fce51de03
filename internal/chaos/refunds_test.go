package chaos

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckRefunds(t *testing.T) {
	captured := int64(400)
	base := func() map[string]TransferEnd {
		return map[string]TransferEnd{
			"t": {ID: "t", Status: "COMPLETED", Source: "a", Destination: "b", Amount: 1_000},
			"h": {ID: "h", Status: "COMPLETED", Source: "a", Destination: "b", Amount: 1_000, Captured: &captured},
		}
	}
	tests := []struct {
		name string
		ends map[string]TransferEnd
		want []string
	}{
		{"refunds within the amount, failed ones not counted", map[string]TransferEnd{
			"r1": {ID: "r1", Status: "COMPLETED", Amount: 600, RefundOf: "t"},
			"r2": {ID: "r2", Status: "COMPLETED", Amount: 400, RefundOf: "t"},
			"r3": {ID: "r3", Status: "FAILED", Amount: 600, RefundOf: "t"},
		}, nil},
		{"refunds beyond the amount", map[string]TransferEnd{
			"r1": {ID: "r1", Status: "COMPLETED", Amount: 600, RefundOf: "t"},
			"r2": {ID: "r2", Status: "COMPLETED", Amount: 600, RefundOf: "t"},
		}, []string{"transfer t moved 1000 but its refunds gave back 1200"}},
		{"a captured hold bounds by its capture", map[string]TransferEnd{
			"r1": {ID: "r1", Status: "COMPLETED", Amount: 500, RefundOf: "h"},
		}, []string{"transfer h moved 400 but its refunds gave back 500"}},
		{"a refund of a transfer never seen complete", map[string]TransferEnd{
			"r1": {ID: "r1", Status: "COMPLETED", Amount: 5, RefundOf: "x"},
		}, []string{"refunds of x (5) refund a transfer the clients did not see complete"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ends := base()
			for id, e := range tt.ends {
				ends[id] = e
			}
			got := checkRefunds(ends)
			if tt.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
