package mutation

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// killersShownMax bounds the failed tests listed per mutant in the report.
const killersShownMax = 3

// Report is docs/TESTING.md: how the list is run, then one row per mutant with the test
// that killed it and the commands that reproduce it.
func Report(results []Result, equivalent []Equivalent, total time.Duration) string {
	killed := 0
	for _, r := range results {
		if r.Killed {
			killed++
		}
	}
	var b strings.Builder
	b.WriteString(`# Testing: mutants of the money and security rules

Written by ` + "`make mutation`" + ` (cmd/mutation, internal/mutation); do not edit by hand.

Each mutant in ` + "`tools/mutation/mutants.json`" + ` breaks one rule (a condition expression of the
DynamoDB adapter, a ledger rule, idempotency, the rate limiter, the login lock-out, the token checks,
a saga step's guard) in a scratch copy of the repository. The unit tests of the packages it names run
first (` + "`go test -count=1`" + `), then, if it is still alive, the adapter tests against DynamoDB on the
local engine (` + "`go test -count=1 -tags integration`" + `). A mutant is killed when a test fails. A mutant
whose original snippet is no longer found exactly once stops the run before anything is tested: the code
changed and the list must follow it. A mutant that does not compile stops it too.

` + "`make mutation`" + ` runs them all (it starts the local engine when none is running) and fails when one
survives; ` + "`make mutation ONLY=<id>`" + ` runs one (comma-separated ids: several) without rewriting this page.

`)
	fmt.Fprintf(&b, "Last run: %d mutants, %d killed, %d survived, in %s (the unmutated copy's tests first, then each mutant's; without -race, for speed).\n\n",
		len(results), killed, len(results)-killed, total.Round(time.Second))
	b.WriteString("| mutant | rule | file | killed by | seconds | reproduce |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		by := "**SURVIVED**"
		repro := "`make mutation ONLY=" + r.Mutant.ID + "`"
		if r.Killed {
			by = r.Suite.Name + ": " + killerList(r.Killers)
			repro += "<br>then `" + r.Suite.Command(runPattern(r.Killers[0])) + "` in the mutated copy"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %.0f | %s |\n", r.Mutant.ID, cell(r.Mutant.Rule), r.Mutant.File, by,
			r.Duration.Seconds(), repro)
	}
	if len(equivalent) > 0 {
		b.WriteString("\n## Equivalent mutants\n\nNo test can tell these from the original code, for the reason given; they are kept in the list " +
			"(their snippets are checked like the others) so that a change that ends the equivalence shows.\n\n" +
			"| mutant | file | original → replacement | why it is equivalent |\n|---|---|---|---|\n")
		for _, e := range equivalent {
			fmt.Fprintf(&b, "| `%s` | `%s` | `%s` → `%s` | %s |\n", e.ID, e.File, cell(e.Original), cell(e.Replacement), cell(e.Why))
		}
	}
	return b.String()
}

func killerList(ks []string) string {
	shown := make([]string, 0, killersShownMax)
	for i, k := range ks {
		if i == killersShownMax {
			shown = append(shown, fmt.Sprintf("and %d more", len(ks)-killersShownMax))
			break
		}
		shown = append(shown, "`"+shortTest(k)+"`")
	}
	return strings.Join(shown, ", ")
}

// shortTest drops the module path: internal/ledger.TestApply/sub.
func shortTest(k string) string {
	if i := strings.Index(k, "/internal/"); i >= 0 {
		return k[i+1:]
	}
	return k
}

// runPattern is the -run pattern of one failed test, package.Test/sub/…: each level anchored.
func runPattern(killer string) string {
	i := strings.LastIndex(killer, ".Test")
	if i < 0 {
		return ""
	}
	levels := strings.Split(killer[i+1:], "/")
	for j, l := range levels {
		levels[j] = "^" + regexp.QuoteMeta(l) + "$"
	}
	return strings.Join(levels, "/")
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
