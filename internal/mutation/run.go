package mutation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Suite is one `go test` run: the unit tests, or the engine-backed ones (-tags integration).
type Suite struct {
	Name     string // "unit" or "engine"
	Tags     string
	Packages []string
}

// Suites are the runs a mutant names, unit tests first: the cheaper run usually kills it.
func (m Mutant) Suites() []Suite {
	var ss []Suite
	if len(m.Unit) > 0 {
		ss = append(ss, Suite{Name: "unit", Packages: m.Unit})
	}
	if len(m.Engine) > 0 {
		ss = append(ss, Suite{Name: "engine", Tags: "integration", Packages: m.Engine})
	}
	return ss
}

// Command is the go test command line of a suite, as a person would type it.
func (s Suite) Command(run string) string {
	args := []string{"go", "test", "-count=1"}
	if s.Tags != "" {
		args = append(args, "-tags", s.Tags)
	}
	if run != "" {
		args = append(args, "-run", "'"+run+"'")
	}
	return strings.Join(append(args, s.Packages...), " ")
}

// Result is what happened to one mutant.
type Result struct {
	Mutant   Mutant
	Killed   bool
	Suite    Suite    // the suite that killed it (the last run when it survived)
	Killers  []string // the failed tests
	Duration time.Duration
}

// GoTest runs `go test -json` with args in dir and returns its standard output; a failed
// test is not an error (the output says it), a go command that could not run is.
type GoTest func(ctx context.Context, dir string, args []string) ([]byte, error)

// ExecGoTest runs the go command.
func ExecGoTest(ctx context.Context, dir string, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-json"}, args...)...) // #nosec G204 -- packages from the mutant list
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && stdout.Len() > 0 {
		return stdout.Bytes(), nil // tests failed: the JSON says which
	}
	if err != nil {
		return nil, fmt.Errorf("go test %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// Runner applies mutants one at a time to a scratch copy of the repository.
type Runner struct {
	Scratch      string        // the copy (see CopyTree); never the working tree
	PackageLimit time.Duration // -timeout of each go test run
	GoTest       GoTest
}

// Baseline runs every suite the mutants name on the unmutated copy: a test that already
// fails would make every mutant look killed.
func (r *Runner) Baseline(ctx context.Context, ms []Mutant) error {
	union := map[string][]string{}
	tags := map[string]string{}
	for _, m := range ms {
		for _, s := range m.Suites() {
			union[s.Name] = append(union[s.Name], s.Packages...)
			tags[s.Name] = s.Tags
		}
	}
	for _, name := range []string{"unit", "engine"} {
		pkgs := union[name]
		if len(pkgs) == 0 {
			continue
		}
		slices.Sort(pkgs)
		s := Suite{Name: name, Tags: tags[name], Packages: slices.Compact(pkgs)}
		o, err := r.run(ctx, s)
		if err != nil {
			return fmt.Errorf("baseline %s: %w", name, err)
		}
		if len(o.Failed) > 0 || len(o.BuildFailed) > 0 {
			return fmt.Errorf("baseline %s: the tests fail without any mutant (%s %s): fix them first\n%s",
				name, strings.Join(o.Failed, ", "), strings.Join(o.BuildFailed, ", "), o.Output())
		}
	}
	return nil
}

// Run applies m, runs its suites until one fails, and puts the file back. A mutant that
// does not compile is an error: it tests the compiler, not the tests.
func (r *Runner) Run(ctx context.Context, m Mutant) (res Result, err error) {
	start := time.Now()
	res.Mutant = m
	path := filepath.Join(r.Scratch, m.File)
	orig, err := os.ReadFile(path) // #nosec G304 -- a file of the list, inside the scratch copy
	if err != nil {
		return res, fmt.Errorf("mutant %s: %w", m.ID, err)
	}
	mutated, err := m.Apply(orig)
	if err != nil {
		return res, err
	}
	if err := os.WriteFile(path, mutated, 0o600); err != nil { // #nosec G703 -- a file of the list, checked inside the repository (Mutant.check)
		return res, fmt.Errorf("mutant %s: %w", m.ID, err)
	}
	defer func() {
		if werr := os.WriteFile(path, orig, 0o600); werr != nil && err == nil { // #nosec G703 -- as above
			err = fmt.Errorf("mutant %s: put the file back: %w", m.ID, werr)
		}
		res.Duration = time.Since(start)
	}()
	for _, s := range m.Suites() {
		o, err := r.run(ctx, s)
		if err != nil {
			return res, fmt.Errorf("mutant %s: %w", m.ID, err)
		}
		if len(o.BuildFailed) > 0 {
			return res, fmt.Errorf("mutant %s does not compile in %s: fix the replacement\n%s", m.ID, strings.Join(o.BuildFailed, ", "), o.Output())
		}
		res.Suite = s
		if len(o.Failed) > 0 {
			res.Killed, res.Killers = true, o.Failed
			return res, nil
		}
	}
	return res, nil
}

func (r *Runner) run(ctx context.Context, s Suite) (Outcome, error) {
	args := []string{"-count=1", "-timeout", r.PackageLimit.String()}
	if s.Tags != "" {
		args = append(args, "-tags", s.Tags)
	}
	out, err := r.GoTest(ctx, r.Scratch, append(args, s.Packages...))
	if err != nil {
		return Outcome{}, err
	}
	return ParseTestJSON(out)
}
