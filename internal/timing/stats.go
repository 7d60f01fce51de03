// Package timing measures whether two kinds of request take the same time: samples of
// each, their medians and 90th percentiles, the difference of the medians and how
// likely a difference that large is by chance (a Mann-Whitney U test). cmd/enumtiming
// uses it to show that no answer of the API tells whether an address has an account.
package timing

import (
	"math"
	"sort"
	"time"
)

// Quantile is the q-quantile (0..1) of samples by the nearest-rank method; 0 for none.
func Quantile(samples []time.Duration, q float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := sorted(samples)
	rank := int(math.Ceil(q*float64(len(s)))) - 1
	rank = max(0, min(rank, len(s)-1))
	return s[rank]
}

// Median is the middle of samples (the mean of the two middle ones for an even count).
func Median(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := sorted(samples)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func sorted(samples []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// MannWhitney compares two samples without assuming a distribution: U of a, the
// effect size P(a sample of a > one of b) (0.5: neither is slower; ties count half),
// and the two-sided p-value of the normal approximation with the tie correction (good
// for samples of 20 or more each). A small p (below 0.01, say) says the two kinds of
// request do not take the same time.
func MannWhitney(a, b []time.Duration) (u, effect, p float64) {
	n1, n2 := float64(len(a)), float64(len(b))
	if n1 == 0 || n2 == 0 {
		return 0, 0.5, 1
	}
	type value struct {
		d     time.Duration
		fromA bool
	}
	all := make([]value, 0, len(a)+len(b))
	for _, d := range a {
		all = append(all, value{d, true})
	}
	for _, d := range b {
		all = append(all, value{d, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].d < all[j].d })
	var rankSumA, tieTerm float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].d == all[i].d {
			j++
		}
		rank := float64(i+j+1) / 2 // the mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankSumA += rank
			}
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	u = rankSumA - n1*(n1+1)/2
	effect = u / (n1 * n2)
	n := n1 + n2
	variance := n1 * n2 / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	if variance <= 0 {
		return u, effect, 1
	}
	z := (u - n1*n2/2) / math.Sqrt(variance)
	p = math.Erfc(math.Abs(z) / math.Sqrt2)
	return u, effect, p
}
