package timing

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestMedianAndQuantile(t *testing.T) {
	tests := []struct {
		name   string
		in     []time.Duration
		median time.Duration
		p90    time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{"odd, unsorted", ms(5, 1, 3), 3 * time.Millisecond, 5 * time.Millisecond},
		{"even", ms(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond},
		{"ten", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5500 * time.Microsecond, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.median, Median(tt.in))
			assert.Equal(t, tt.p90, Quantile(tt.in, 0.9))
		})
	}
	in := ms(3, 1, 2)
	Median(in)
	assert.Equal(t, ms(3, 1, 2), in, "the samples are not reordered")
}

func TestMannWhitney(t *testing.T) {
	// Worked by hand: a = {1, 2, 3}, b = {4, 5, 6}: every a below every b, U = 0.
	u, effect, _ := MannWhitney(ms(1, 2, 3), ms(4, 5, 6))
	assert.InDelta(t, 0, u, 1e-9)
	assert.InDelta(t, 0, effect, 1e-9)
	// Ties count half: a = {1, 2}, b = {2, 3}: pairs (1,2) 0, (1,3) 0, (2,2) ½, (2,3) 0.
	u, _, _ = MannWhitney(ms(1, 2), ms(2, 3))
	assert.InDelta(t, 0.5, u, 1e-9)
	// All equal: no evidence of a difference.
	_, effect, p := MannWhitney(ms(5, 5, 5), ms(5, 5, 5))
	assert.InDelta(t, 0.5, effect, 1e-9)
	assert.InDelta(t, 1, p, 1e-9)
	_, _, p = MannWhitney(nil, ms(1))
	assert.InDelta(t, 1, p, 1e-9)

	rng := rand.New(rand.NewPCG(1, 2))
	noisy := func(n int, base time.Duration) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = base + time.Duration(rng.IntN(20_000))*time.Microsecond
		}
		return out
	}
	tests := []struct {
		name    string
		a, b    []time.Duration
		smallP  bool
		aSlower bool
	}{
		{"same distribution", noisy(200, 50*time.Millisecond), noisy(200, 50*time.Millisecond), false, false},
		{"a 10 ms slower", noisy(200, 60*time.Millisecond), noisy(200, 50*time.Millisecond), true, true},
		{"a 10 ms faster", noisy(200, 40*time.Millisecond), noisy(200, 50*time.Millisecond), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, effect, p := MannWhitney(tt.a, tt.b)
			assert.Equal(t, tt.smallP, p < 0.001, "p = %g", p)
			if tt.smallP {
				assert.Equal(t, tt.aSlower, effect > 0.5, "effect %g", effect)
			}
			assert.False(t, math.IsNaN(p))
		})
	}
}
