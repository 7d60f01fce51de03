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
	"slices"
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

// List is the versioned file: the mutants the tests must kill, and the equivalent ones
// (no test can tell them from the original), kept with the reason, so that nobody tries
// them again and so that a change of their code, which may end the equivalence, shows.
type List struct {
	Mutants    []Mutant     `json:"mutants"`
	Equivalent []Equivalent `json:"equivalent"`
}

// Equivalent is a mutant no test can kill, and why.
type Equivalent struct {
	ID          string `json:"id"`
	File        string `json:"file"`
	Original    string `json:"original"`
	Replacement string `json:"replacement"`
	Why         string `json:"why"`
}

// asMutant is the equivalent mutant in the form Stale checks.
func (e Equivalent) asMutant() Mutant {
	return Mutant{ID: e.ID, File: e.File, Original: e.Original, Replacement: e.Replacement}
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{2,62}$`)

// Load reads a mutant list and checks its shape (not yet the snippets: see Stale).
func Load(path string) (List, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the list named on the command line
	if err != nil {
		return List{}, fmt.Errorf("read mutants: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var l List
	if err := dec.Decode(&l); err != nil {
		return List{}, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(l.Mutants) == 0 || len(l.Mutants)+len(l.Equivalent) > mutantsMax {
		return List{}, fmt.Errorf("%s: %d mutants and %d equivalent ones, want 1..%d in all", path, len(l.Mutants), len(l.Equivalent), mutantsMax)
	}
	seen := map[string]bool{}
	var errs []error
	for _, m := range l.Mutants {
		if seen[m.ID] {
			errs = append(errs, fmt.Errorf("mutant %s: id given twice", m.ID))
		}
		seen[m.ID] = true
		if err := m.check(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, e := range l.Equivalent {
		if seen[e.ID] {
			errs = append(errs, fmt.Errorf("mutant %s: id given twice", e.ID))
		}
		seen[e.ID] = true
		if e.Why == "" || e.Original == "" || e.Original == e.Replacement || !idPattern.MatchString(e.ID) {
			errs = append(errs, fmt.Errorf("equivalent mutant %q: id, original, a different replacement and why are required", e.ID))
		}
	}
	return l, errors.Join(errs...)
}

// All is every mutant of the list in the form Stale checks, equivalent ones included.
func (l List) All() []Mutant {
	all := slices.Clone(l.Mutants)
	for _, e := range l.Equivalent {
		all = append(all, e.asMutant())
	}
	return all
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
