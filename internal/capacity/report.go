package capacity

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// A mix's table lists every key the mix shares, then the hottest entity keys, one per
// kind of key and role (one payer's wallet stands for all the payers' wallets), and every
// kind of the merchant's keys (the subject of the merchant mix).
const (
	sharedKeysShown = 10
	entityKeysShown = 8
)

func shownKeys(m Mix) []Key {
	var shared, entity []Key
	seen := map[string]bool{}
	for _, k := range m.KeyLoads() { // lowest ceiling first
		if k.Shared && k.Class != "entity" {
			if len(shared) < sharedKeysShown {
				shared = append(shared, k)
			}
			continue
		}
		table, pk, _ := strings.Cut(k.Shape, ":")
		prefix, _, _ := strings.Cut(pk, "#")
		role := k.Role
		if role == "" || strings.HasPrefix(role, "unknown") {
			role = "id"
		}
		kind := table + ":" + prefix + "#<" + role + ">"
		if strings.HasSuffix(k.Shape, ReceiveShardRow) {
			kind += "#RS" + ReceiveShardRow
		}
		if seen[kind] || (len(entity) >= entityKeysShown && k.Role != "merchant") {
			continue
		}
		seen[kind] = true
		k.Shape = kind
		entity = append(entity, k)
	}
	return append(shared, entity...)
}

// Result is what a run found for one mix, kept to compare a later run with.
type Result struct {
	Mix        string  `json:"mix"`
	Ceiling    float64 `json:"ceiling"`
	SetBy      string  `json:"set_by"`
	KeyCeiling float64 `json:"key_ceiling"` // raisable quotas raised
	KeySetBy   string  `json:"key_set_by"`
	Note       string  `json:"note,omitempty"` // how a figure was corrected after the run, if it was
}

// Results sums up the mixes.
func Results(mixes []Mix) []Result {
	out := make([]Result, 0, len(mixes))
	for _, m := range mixes {
		all, raised := m.Ceiling()
		out = append(out, Result{Mix: m.Name, Ceiling: finite(all.Ceiling), SetBy: setBy(all.Name),
			KeyCeiling: finite(raised.Ceiling), KeySetBy: setBy(raised.Name)})
	}
	return out
}

// SaveResults writes results as JSON (a baseline for a later report).
func SaveResults(path string, rs []Result) error {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// LoadResults reads results SaveResults wrote.
func LoadResults(path string) ([]Result, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- a path the operator names
	if err != nil {
		return nil, err
	}
	var rs []Result
	return rs, json.Unmarshal(b, &rs)
}

// finite keeps an unbounded ceiling writable as JSON.
func finite(v float64) float64 { return math.Min(v, math.MaxFloat64) }

func setBy(name string) string {
	if name == "" {
		return "nothing the mix shares"
	}
	return name
}

func rate(v float64) string {
	if v >= math.MaxFloat64 {
		return "unbounded"
	}
	return fmt.Sprintf("%.0f", v)
}

// Report is what Write needs besides the mixes.
type Report struct {
	Command  string
	Date     string
	Before   []Result // the baseline, when there is one
	Mixes    []Mix
	Baseline string // what the baseline was measured on
}

// Write writes the capacity report in Markdown.
func Write(w io.Writer, r Report) error {
	p := func(format string, a ...any) { _, _ = fmt.Fprintf(w, format, a...) }
	p("# Capacity\n\nWhere the design stops scaling on AWS, worked out from a measured run (`%s`, %s) on the local\n", r.Command, r.Date)
	p("engine, which has no partition limits of its own. Every DynamoDB call of the run is metered with the\n")
	p("partition key it touched (ids hashed: `WALLET#<hash>`) and the units it used; a key allows\n")
	p("`%d WCU/s ÷ write units per operation` and `%d RCU/s ÷ read units per operation` (one partition's limits;\n", PartitionWriteUnitsPerSecond, PartitionReadUnitsPerSecond)
	p("a write in a transaction costs 2 WCU per KB per item; a write's units in a global secondary index are counted on\n")
	p("the index's own partition, `table/index:key`, as DynamoDB reports them). A key that every operation of the mix touches caps the\n")
	p("mix; a key of one wallet, user or transfer caps only what goes through that one (a larger population\n")
	p("spreads the mix over more of them). The account quotas cap the mix by what one operation uses of them. The\n")
	p("mix's ceiling is the smallest of these. Lambda time is the local engine's billed duration on a shared\n")
	p("machine, slower than AWS, so the concurrency ceiling is a low estimate.\n\n")
	p("## Ceilings\n\n| mix | ceiling (ops/s) | set by | with the raisable quotas raised | set by |")
	if len(r.Before) > 0 {
		p(" before (%s) | set by |", r.Baseline)
	}
	p("\n|---|---:|---|---:|---|")
	if len(r.Before) > 0 {
		p("---:|---|")
	}
	p("\n")
	before := map[string]Result{}
	for _, b := range r.Before {
		before[b.Mix] = b
	}
	for _, res := range Results(r.Mixes) {
		p("| %s | %s | %s | %s | %s |", res.Mix, rate(res.Ceiling), res.SetBy, rate(res.KeyCeiling), res.KeySetBy)
		if len(r.Before) > 0 {
			b := before[res.Mix]
			note := ""
			if b.Note != "" {
				note = " (" + b.Note + ")"
			}
			p(" %s | %s%s |", rate(b.KeyCeiling), b.KeySetBy, note)
		}
		p("\n")
	}
	p("\nAccount quotas (defaults per account per region, AWS's published quota pages):\n\n")
	for _, q := range []Quota{LambdaConcurrency, APIGatewayRPS, ExpressStarts} {
		p("- %s: %s %s, raisable: %v. %s\n", q.Name, rate(q.Limit), q.Unit, q.Raisable, q.Source)
	}
	for _, m := range r.Mixes {
		writeMix(p, m)
	}
	return nil
}

func writeMix(p func(string, ...any), m Mix) {
	p("\n## %s\n\n%s %d operations.\n\n", m.Name, m.Description, m.Ops)
	p("| key | class | what | operations touching it | RCU per op | WCU per op | ceiling (ops/s) | caps the mix |\n|---|---|---|---:|---:|---:|---:|---|\n")
	for _, k := range shownKeys(m) {
		p("| `%s` | %s | %s | %d | %.2f | %.2f | %s | %v |\n", k.Shape, k.Class, k.Role, k.Touches, k.ReadsPer, k.WritesPer, rate(k.Ceiling), k.Shared)
	}
	p("\n| quota | per operation | ceiling (ops/s) | raisable |\n|---|---:|---:|---|\n")
	for _, q := range m.Quotas() {
		p("| %s | %.3f | %s | %v |\n", q.Name, q.PerOp, rate(q.Ceiling), q.Raisable)
	}
	all, raised := m.Ceiling()
	p("\nCeiling: **%s operations/s**, set by %s; with the raisable quotas raised, **%s/s**, set by %s.\n",
		rate(all.Ceiling), setBy(all.Name), rate(raised.Ceiling), setBy(raised.Name))
	for _, role := range []string{"merchant", "payer", "payee"} {
		if k, ok := m.EntityCeiling(role); ok {
			p("One %s (its wallet and its owner's records): at most **%s operations/s**, set by `%s`", role, rate(k.Ceiling), k.Shape)
			if l, ok := m.EntityCeilingIn(role, "ledger"); ok && l.Shape != k.Shape {
				p("; its ledger keys alone (wallet, shards, transfer list): **%s/s**, set by `%s`", rate(l.Ceiling), l.Shape)
			}
			p(".\n")
		}
	}
}
