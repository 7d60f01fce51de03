package main

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestFind runs the check over testdata/mod, a module whose names are each used in one
// way: elsewhere, in their own package, by a test, by a file behind a build tag, or not at all.
func TestFind(t *testing.T) {
	tests := map[string]struct {
		tags string
		want []string
	}{
		"with the tag": {tags: "integration", want: []string{"lib.Unused", "lib.UnusedFunc", "lib.UnusedType"}},
		// Without the tag, Sum's only use is out of sight.
		"without the tag": {want: []string{"lib.Unused", "lib.UnusedFunc", "lib.UnusedType", "used.Sum"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			lines, err := find(filepath.Join("testdata", "mod"), tt.tags)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lines {
				id := strings.Fields(l)[1] // "file:line: example.com/mod/lib.Unused is …"
				got = append(got, strings.TrimPrefix(id, "example.com/mod/"))
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
