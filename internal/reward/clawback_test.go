package reward

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShareOf(t *testing.T) {
	const maxInt64 = int64(^uint64(0) >> 1)
	tests := []struct {
		name                string
		points, part, whole int64
		want                int64
	}{
		{"all of it", 100, 10_000, 10_000, 100},
		{"half", 100, 5_000, 10_000, 50},
		{"a third rounds up", 100, 3_333, 10_000, 34},
		{"a cent of a large transfer still takes a point", 100, 1, 10_000, 1},
		{"nothing refunded", 100, 0, 10_000, 0},
		{"nothing earned", 0, 10_000, 10_000, 0},
		{"the whole unknown (a claim before refunds existed)", 100, 10_000, 0, 0},
		{"more than the whole is all", 100, 20_000, 10_000, 100},
		{"no overflow", 1_000, maxInt64 - 1, maxInt64, 1_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, shareOf(tt.points, tt.part, tt.whole))
		})
	}
}
