package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFind runs the check over testdata/mod, a module whose names are each used in one
// way: elsewhere, in their own package, by a test, by a file behind a build tag, or not at all.
func TestFind(t *testing.T) {
	unused := []string{"lib.Unused", "lib.UnusedFunc", "lib.UnusedType"}
	for _, tags := range []string{"integration", ""} {
		want := unused
		if tags == "" { // Sum's only use is behind the tag
			want = append(slices.Clone(unused), "used.Sum")
		}
		t.Run("tags="+tags, func(t *testing.T) {
			lines, err := find(filepath.Join("testdata", "mod"), tags)
			require.NoError(t, err)
			var got []string
			for _, l := range lines { // "file:line: example.com/mod/lib.Unused is …"
				got = append(got, strings.TrimPrefix(strings.Fields(l)[1], "example.com/mod/"))
			}
			slices.Sort(got)
			assert.Equal(t, want, got)
		})
	}
}
