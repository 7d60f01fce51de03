// Package mutation checks that the tests hold the money and security rules: each mutant
// of a fixed, versioned list (tools/mutation/mutants.json) breaks one rule in a scratch
// copy of the repository, and the tests of the packages it names must then fail. A
// mutant whose original snippet is not found exactly once in its file is an error, never
// skipped: the code it guards has changed and the list must follow.
package mutation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Limits of a mutant list.
const (
	mutantsMax        = 500
	packagesPerSetMax = 32
)

// Mutant is one deliberate break of a rule.
type Mutant struct {
	ID          string   `json:"id"`
	Rule        string   `json:"rule"`        // what the original code enforces
	File        string   `json:"file"`        // relative to the repository root
	Original    string   `json:"original"`    // exact snippet, found exactly once in File
	Replacement string   `json:"replacement"` // what the snippet becomes
	Unit        []string `json:"unit"`        // packages whose unit tests must kill it
	Engine      []string `json:"engine"`      // packages whose -tags integration tests, against the engine, must kill it
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{2,62}$`)

// Load reads a mutant list and checks its shape (not yet the snippets: see Stale).
func Load(path string) ([]Mutant, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the list named on the command line
	if err != nil {
		return nil, fmt.Errorf("read mutants: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ms []Mutant
	if err := dec.Decode(&ms); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(ms) == 0 || len(ms) > mutantsMax {
		return nil, fmt.Errorf("%s: %d mutants, want 1..%d", path, len(ms), mutantsMax)
	}
	seen := map[string]bool{}
	var errs []error
	for _, m := range ms {
		if seen[m.ID] {
			errs = append(errs, fmt.Errorf("mutant %s: id given twice", m.ID))
		}
		seen[m.ID] = true
		if err := m.check(); err != nil {
			errs = append(errs, err)
		}
	}
	return ms, errors.Join(errs...)
}

func (m Mutant) check() error {
	switch {
	case !idPattern.MatchString(m.ID):
		return fmt.Errorf("mutant %q: the id must match %s", m.ID, idPattern)
	case m.Rule == "" || m.File == "" || m.Original == "":
		return fmt.Errorf("mutant %s: rule, file and original are required", m.ID)
	case m.Original == m.Replacement:
		return fmt.Errorf("mutant %s: the replacement is the original", m.ID)
	case filepath.IsAbs(m.File) || strings.HasPrefix(filepath.Clean(m.File), ".."):
		return fmt.Errorf("mutant %s: file %s must be inside the repository", m.ID, m.File)
	case len(m.Unit)+len(m.Engine) == 0:
		return fmt.Errorf("mutant %s: name the unit or engine packages that must kill it", m.ID)
	case len(m.Unit) > packagesPerSetMax || len(m.Engine) > packagesPerSetMax:
		return fmt.Errorf("mutant %s: at most %d packages per suite", m.ID, packagesPerSetMax)
	}
	for _, p := range append(append([]string{}, m.Unit...), m.Engine...) {
		if !strings.HasPrefix(p, "./") {
			return fmt.Errorf("mutant %s: package %q must be a ./ path", m.ID, p)
		}
	}
	return nil
}

// Apply returns src with the mutant applied; an original snippet that is not in src
// exactly once is an error.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	switch n := bytes.Count(src, []byte(m.Original)); n {
	case 1:
		return bytes.Replace(src, []byte(m.Original), []byte(m.Replacement), 1), nil
	case 0:
		return nil, fmt.Errorf("mutant %s: original snippet not found in %s (stale: the code changed)", m.ID, m.File)
	default:
		return nil, fmt.Errorf("mutant %s: original snippet found %d times in %s (make it unique)", m.ID, n, m.File)
	}
}

// Stale checks every mutant against the files under root and returns every one whose
// snippet is not found exactly once, all together.
func Stale(root string, ms []Mutant) error {
	var errs []error
	for _, m := range ms {
		src, err := os.ReadFile(filepath.Join(root, m.File)) // #nosec G304 -- a file of the list, inside root
		if err != nil {
			errs = append(errs, fmt.Errorf("mutant %s: %w", m.ID, err))
			continue
		}
		if _, err := m.Apply(src); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Select keeps the mutants whose id is in ids (all when ids is empty); an unknown id is
// an error.
func Select(ms []Mutant, ids []string) ([]Mutant, error) {
	if len(ids) == 0 {
		return ms, nil
	}
	byID := map[string]Mutant{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	out := make([]Mutant, 0, len(ids))
	for _, id := range ids {
		m, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("no mutant %q in the list", id)
		}
		out = append(out, m)
	}
	return out, nil
}
