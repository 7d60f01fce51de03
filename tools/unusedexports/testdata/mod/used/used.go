// Package used uses lib.
package used

import "example.com/mod/lib"

// Sum is used by the tagged file.
func Sum() int { return lib.UsedElsewhere + lib.Helper() }
