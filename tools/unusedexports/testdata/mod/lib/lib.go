// Package lib declares names the test expects to be found used or unused.
package lib

// UsedElsewhere is used by package used.
const UsedElsewhere = 1

// UsedInItsPackage is used by Helper below.
const UsedInItsPackage = 2

// UsedByATest is used only by lib_test.go.
var UsedByATest = 3

// Unused is used nowhere.
const Unused = 4

// UnusedType is used nowhere.
type UnusedType struct{}

// Helper uses UsedInItsPackage.
func Helper() int { return UsedInItsPackage }

// UnusedFunc is used nowhere.
func UnusedFunc() {}

const unexportedAndUnused = 5 // the compiler's and golangci-lint's business, not this tool's
