package mutation

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json), with the build events Go
// reports since 1.24.
type event struct {
	Action      string `json:"Action"`
	Package     string `json:"Package"`
	Test        string `json:"Test"`
	Output      string `json:"Output"`
	ImportPath  string `json:"ImportPath"`
	FailedBuild string `json:"FailedBuild"`
}

// Outcome is what one `go test -json` run says.
type Outcome struct {
	Failed      []string // failed tests as package.Test/subtest, the deepest only, sorted
	BuildFailed []string // packages that did not compile
	output      strings.Builder
}

// outputKeepBytesMax bounds the test output kept to explain a failure.
const outputKeepBytesMax = 8 << 10

// lineBytesMax bounds one line of go test -json output.
const lineBytesMax = 4 << 20

// ParseTestJSON reads `go test -json` output. A package that failed with no failed test
// and no build failure (a panic outside a test, a TestMain that exited) is reported as
// "<package> (package failed)".
func ParseTestJSON(out []byte) (Outcome, error) {
	var o Outcome
	failed := map[string]bool{}
	pkgFailed := map[string]bool{}
	build := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), lineBytesMax)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			return o, fmt.Errorf("go test -json: unreadable line %q: %w", line, err)
		}
		if o.output.Len() < outputKeepBytesMax {
			o.output.WriteString(e.Output)
		}
		switch {
		case e.Action == "build-fail":
			build[e.ImportPath] = true
		case e.Action == "fail" && e.FailedBuild != "":
			build[e.FailedBuild] = true
		case e.Action == "fail" && e.Test != "":
			failed[e.Package+"."+e.Test] = true
		case e.Action == "fail":
			pkgFailed[e.Package] = true
		}
	}
	if err := sc.Err(); err != nil {
		return o, fmt.Errorf("go test -json: %w", err)
	}
	for name := range failed {
		if !hasChild(failed, name) {
			o.Failed = append(o.Failed, name)
		}
	}
	for pkg := range pkgFailed {
		if !build[pkg] && !anyTestOf(failed, pkg) {
			o.Failed = append(o.Failed, pkg+" (package failed)")
		}
	}
	for pkg := range build {
		o.BuildFailed = append(o.BuildFailed, pkg)
	}
	slices.Sort(o.Failed)
	slices.Sort(o.BuildFailed)
	return o, nil
}

// Output is the start of the test output, to explain a failure.
func (o *Outcome) Output() string { return o.output.String() }

func hasChild(failed map[string]bool, name string) bool {
	for other := range failed {
		if strings.HasPrefix(other, name+"/") {
			return true
		}
	}
	return false
}

func anyTestOf(failed map[string]bool, pkg string) bool {
	for name := range failed {
		if strings.HasPrefix(name, pkg+".") {
			return true
		}
	}
	return false
}
