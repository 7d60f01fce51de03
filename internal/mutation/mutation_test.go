package mutation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApply(t *testing.T) {
	m := Mutant{ID: "m-1", File: "a.go", Original: "x >= y", Replacement: "x > y"}
	tests := []struct {
		name    string
		src     string
		want    string
		wantErr string
	}{
		{"found once", "if x >= y {", "if x > y {", ""},
		{"not found: stale", "if x > y {", "", "not found in a.go (stale"},
		{"found twice", "x >= y && x >= y", "", "found 2 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Apply([]byte(tt.src))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestLoadRefusesBadLists(t *testing.T) {
	good := `{"id":"ok-1","rule":"r","file":"a.go","original":"a","replacement":"b","unit":["./x/"]}`
	tests := []struct {
		name    string
		list    string
		wantErr string
	}{
		{"a good list", `{"mutants":[` + good + `]}`, ""},
		{"with an equivalent mutant", `{"mutants":[` + good + `],"equivalent":[{"id":"eq-1","file":"a.go","original":"a","replacement":"b","why":"w"}]}`, ""},
		{"an equivalent mutant without why", `{"mutants":[` + good + `],"equivalent":[{"id":"eq-1","file":"a.go","original":"a","replacement":"b"}]}`, "why are required"},
		{"an empty list", `{"mutants":[]}`, "0 mutants"},
		{"an unknown field", `{"mutants":[{"id":"ok-1","nope":1}]}`, "unknown field"},
		{"an id twice", `{"mutants":[` + good + "," + good + `]}`, "id given twice"},
		{"no suite", `{"mutants":[{"id":"ok-2","rule":"r","file":"a.go","original":"a","replacement":"b"}]}`, "name the unit or engine packages"},
		{"a no-op", `{"mutants":[{"id":"ok-2","rule":"r","file":"a.go","original":"a","replacement":"a","unit":["./x/"]}]}`, "the replacement is the original"},
		{"a file outside", `{"mutants":[{"id":"ok-2","rule":"r","file":"../a.go","original":"a","replacement":"b","unit":["./x/"]}]}`, "inside the repository"},
		{"a package not ./", `{"mutants":[{"id":"ok-2","rule":"r","file":"a.go","original":"a","replacement":"b","unit":["x"]}]}`, "must be a ./ path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mutants.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.list), 0o600))
			_, err := Load(path)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// Every stale mutant is reported at once, not only the first.
func TestStaleReportsEveryStaleMutant(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.go"), []byte("if a < b {}\nif c < d {}\n"), 0o600))
	ms := []Mutant{
		{ID: "fresh", File: "a.go", Original: "a < b", Replacement: "a <= b"},
		{ID: "gone", File: "a.go", Original: "e < f", Replacement: "e <= f"},
		{ID: "twice", File: "a.go", Original: " < ", Replacement: " <= "},
		{ID: "nofile", File: "b.go", Original: "x", Replacement: "y"},
	}
	err := Stale(root, ms)
	require.Error(t, err)
	for _, id := range []string{"gone", "twice", "nofile"} {
		assert.Contains(t, err.Error(), "mutant "+id)
	}
	assert.NotContains(t, err.Error(), "mutant fresh")
}

func TestParseTestJSON(t *testing.T) {
	const pkg = "example.com/m/internal/ledger"
	tests := []struct {
		name      string
		lines     []string
		failed    []string
		buildFail []string
	}{
		{"all pass", []string{
			`{"Action":"pass","Package":"` + pkg + `","Test":"TestA"}`,
			`{"Action":"pass","Package":"` + pkg + `"}`,
		}, nil, nil},
		{"the deepest failed subtest", []string{
			`{"Action":"fail","Package":"` + pkg + `","Test":"TestA/sub"}`,
			`{"Action":"fail","Package":"` + pkg + `","Test":"TestA"}`,
			`{"Action":"fail","Package":"` + pkg + `","Test":"TestB"}`,
			`{"Action":"fail","Package":"` + pkg + `"}`,
		}, []string{pkg + ".TestA/sub", pkg + ".TestB"}, nil},
		{"a package that failed outside any test", []string{
			`{"Action":"output","Package":"` + pkg + `","Output":"panic: boom\n"}`,
			`{"Action":"fail","Package":"` + pkg + `"}`,
		}, []string{pkg + " (package failed)"}, nil},
		{"a build failure", []string{
			`{"ImportPath":"` + pkg + `","Action":"build-fail"}`,
			`{"Action":"fail","Package":"` + pkg + `","FailedBuild":"` + pkg + `"}`,
		}, nil, []string{pkg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseTestJSON([]byte(strings.Join(tt.lines, "\n")))
			require.NoError(t, err)
			assert.Equal(t, tt.failed, o.Failed)
			assert.Equal(t, tt.buildFail, o.BuildFailed)
		})
	}
	_, err := ParseTestJSON([]byte("not json"))
	assert.Error(t, err, "an unreadable line is an error, never skipped")
}

func TestRunPattern(t *testing.T) {
	assert.Equal(t, "^TestA$/^sub_case$", runPattern("example.com/m/internal/ledger.TestA/sub_case"))
	assert.Equal(t, "^TestA\\.b$", runPattern("example.com/m/internal/ledger.TestA.b"))
	assert.Equal(t, "", runPattern("example.com/m/internal/ledger (package failed)"))
}

// A mutant is applied, tested, and the file put back whatever the outcome; the first
// suite that fails kills it and the later ones do not run.
func TestRunnerRun(t *testing.T) {
	scratch := t.TempDir()
	file := filepath.Join(scratch, "a.go")
	require.NoError(t, os.WriteFile(file, []byte("x >= y"), 0o600))
	m := Mutant{ID: "m-1", File: "a.go", Original: "x >= y", Replacement: "x > y", Unit: []string{"./a/"}, Engine: []string{"./b/"}}
	tests := []struct {
		name       string
		unitFails  bool
		wantKilled bool
		wantSuite  string
		wantRuns   int
	}{
		{"killed by the unit tests", true, true, "unit", 1},
		{"survives both suites", false, false, "engine", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := 0
			r := &Runner{Scratch: scratch, GoTest: func(_ context.Context, _ string, args []string) ([]byte, error) {
				runs++
				src, err := os.ReadFile(file)
				require.NoError(t, err)
				assert.Equal(t, "x > y", string(src), "the tests see the mutant")
				if tt.unitFails && !strings.Contains(strings.Join(args, " "), "integration") {
					return []byte(`{"Action":"fail","Package":"p","Test":"TestX"}`), nil
				}
				return []byte(`{"Action":"pass","Package":"p"}`), nil
			}}
			res, err := r.Run(context.Background(), m)
			require.NoError(t, err)
			assert.Equal(t, tt.wantKilled, res.Killed)
			assert.Equal(t, tt.wantSuite, res.Suite.Name)
			assert.Equal(t, tt.wantRuns, runs)
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, "x >= y", string(src), "the file is put back")
		})
	}
}
