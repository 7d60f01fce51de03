//go:build integration

package used

var _ = Sum()
