package coldstart

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Function is one bootstrap to measure and the event its invoke sends.
type Function struct {
	Name      string
	Bootstrap string
	Event     []byte
}

// Result is one function's cold starts.
type Result struct {
	Function
	Bytes   int64
	Links   Links
	Samples []Sample
	Errors  []error
}

// Bench measures every function rounds times, round by round (each round starts every
// function once, in order), after one warm-up round that is not counted: it reads the
// bootstraps into the page cache, so that every counted start finds its file there.
func Bench(ctx context.Context, e Emulator, fns []Function, rounds int, progress io.Writer) ([]Result, error) {
	results := make([]Result, len(fns))
	for i, fn := range fns {
		info, err := os.Stat(fn.Bootstrap)
		if err != nil {
			return nil, err
		}
		links, err := LinkedServices(fn.Bootstrap)
		if err != nil {
			return nil, err
		}
		results[i] = Result{Function: fn, Bytes: info.Size(), Links: links}
	}
	for round := 0; round <= rounds; round++ {
		if progress != nil {
			note := ""
			if round == 0 {
				note = " (warm-up, not counted)"
			}
			_, _ = fmt.Fprintf(progress, "round %d of %d%s\n", round, rounds, note)
		}
		for i := range results {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s, err := e.ColdStart(ctx, results[i].Name, results[i].Bootstrap, results[i].Event)
			if round == 0 {
				continue
			}
			if err != nil {
				results[i].Errors = append(results[i].Errors, err)
				continue
			}
			results[i].Samples = append(results[i].Samples, s)
		}
	}
	return results, nil
}

// Stats summarizes a result's samples: the cold start's cost (Sample.ColdCost) as
// median, p90 and max, and the medians of the first and the warm invoke.
type Stats struct {
	Median, P90, Max        time.Duration
	FirstMedian, WarmMedian time.Duration
}

// Summary returns the result's statistics; ok is false when it has no sample.
func (r Result) Summary() (st Stats, ok bool) {
	if len(r.Samples) == 0 {
		return Stats{}, false
	}
	costs := make([]time.Duration, 0, len(r.Samples))
	firsts := make([]time.Duration, 0, len(r.Samples))
	warms := make([]time.Duration, 0, len(r.Samples))
	for _, s := range r.Samples {
		costs = append(costs, s.ColdCost())
		firsts = append(firsts, s.Total)
		warms = append(warms, s.Warm)
	}
	return Stats{Median: Percentile(costs, 50), P90: Percentile(costs, 90), Max: slices.Max(costs),
		FirstMedian: Percentile(firsts, 50), WarmMedian: Percentile(warms, 50)}, true
}

// Percentile returns the nearest-rank p-th percentile of ds (p in 1..100); the median
// of an even count is the mean of the two middle values.
func Percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if p == 50 && len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	rank := (p*len(s) + 99) / 100 // ceil(p/100 × n), 1-based
	return s[max(rank, 1)-1]
}

// answerSummaryMax is how much of an answer that is not an API response the table quotes.
const answerSummaryMax = 40

// AnswerSummary describes an invoke's answer in a few words: an API response's
// statusCode, a Lambda error's errorType, or the start of the body.
func AnswerSummary(s Sample) string {
	var m map[string]any
	prefix := ""
	if s.Status != 200 {
		prefix = fmt.Sprintf("HTTP %d ", s.Status)
	}
	if json.Unmarshal(s.Answer, &m) == nil {
		switch {
		case m["statusCode"] != nil:
			return fmt.Sprintf("%sstatusCode %v", prefix, m["statusCode"])
		case m["errorType"] != nil:
			return fmt.Sprintf("%serror %v", prefix, m["errorType"])
		}
	}
	body := strings.Join(strings.Fields(string(s.Answer)), " ")
	if len(body) > answerSummaryMax {
		body = body[:answerSummaryMax] + "…"
	}
	return prefix + "`" + strings.ReplaceAll(body, "|", `\|`) + "`"
}

// baselineMedian is the baseline's median cold start cost; zero when it never answered.
func baselineMedian(results []Result, baseline string) time.Duration {
	for _, r := range results {
		if st, ok := r.Summary(); ok && r.Name == baseline {
			return st.Median
		}
	}
	return 0
}

// ms renders a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// Table writes the results as a markdown table, with each cold start's median (first
// invoke less warm invoke) and its ratio to the baseline's (the hello-world bootstrap's). The clients are what each bootstrap links
// of the AWS SDK (LinkedServices).
func Table(w io.Writer, results []Result, baseline string) error {
	base := baselineMedian(results, baseline)
	var b strings.Builder
	b.WriteString("| function | bootstrap bytes | SDK clients linked | other SDK service code | first invoke median ms | warm invoke median ms | cold start median ms | p90 ms | max ms | × hello-world | first answer |\n")
	b.WriteString("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		clients, other := strings.Join(r.Links.Clients, ", "), strings.Join(r.Links.CodeOnly, ", ")
		if clients == "" {
			clients = "–"
		}
		if other == "" {
			other = "–"
		}
		st, ok := r.Summary()
		if !ok {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | – | – | – | – | – | – | no answer (%d errors) |\n", r.Name, r.Bytes, clients, other, len(r.Errors))
			continue
		}
		ratio := "–"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", float64(st.Median)/float64(base))
		}
		answer := AnswerSummary(r.Samples[len(r.Samples)-1])
		if len(r.Errors) > 0 {
			answer += fmt.Sprintf(" (%d of %d rounds failed)", len(r.Errors), len(r.Errors)+len(r.Samples))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name, r.Bytes, clients, other,
			ms(st.FirstMedian), ms(st.WarmMedian), ms(st.Median), ms(st.P90), ms(st.Max), ratio, answer)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Goals of issue #11 item 7.
const (
	BootstrapBytesMax = 15_000_000 // stripped
	RatioMax          = 1.5        // cold start median against hello-world's
)

// Verdict says, in a line, how the results stand against the goals: every bootstrap at
// most BootstrapBytesMax, every median at most RatioMax times the baseline's.
func Verdict(results []Result, baseline string) string {
	base := baselineMedian(results, baseline)
	var big, slow []string
	var largest int64
	within := 0
	for _, r := range results {
		if r.Name == baseline {
			continue
		}
		largest = max(largest, r.Bytes)
		if r.Bytes > BootstrapBytesMax {
			big = append(big, r.Name)
		}
		st, ok := r.Summary()
		switch {
		case !ok || base == 0:
			slow = append(slow, r.Name+" (no answer)")
		case float64(st.Median) > RatioMax*float64(base):
			slow = append(slow, fmt.Sprintf("%s (%.2f×)", r.Name, float64(st.Median)/float64(base)))
		default:
			within++
		}
	}
	n := len(results) - 1
	line := fmt.Sprintf("size goal (≤ %d bytes): %d of %d within, largest %d", BootstrapBytesMax, n-len(big), n, largest)
	if len(big) > 0 {
		line += ", over: " + strings.Join(big, ", ")
	}
	line += fmt.Sprintf("; cold start goal (median ≤ %.1f× hello-world): %d of %d within", RatioMax, within, n)
	if len(slow) > 0 {
		line += ", over: " + strings.Join(slow, ", ")
	}
	return line
}
