package timing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RateLimitedRetriesMax bounds how often one request is sent again after a 429
// rate_limited (the per-IP classes of sign-up, login and reset); the wait is not timed.
const RateLimitedRetriesMax = 30

// WarmupPairs are sent before each flow and not recorded, so no sample pays a cold start.
const WarmupPairs = 3

// Kind is one kind of request of a flow: its timings and how often each answer came.
type Kind struct {
	Name    string
	Samples []time.Duration
	Answers map[string]int // "status body" → count
}

// Flow is two kinds of request that must not be told apart.
type Flow struct {
	Name string
	A, B Kind
}

// Probe sends the requests to one API.
type Probe struct {
	BaseURL  string
	Client   *http.Client
	Password string // a valid password for the accounts the probe signs up
	Run      string // makes the probe's addresses unique
	Rand     *rand.Rand
}

// pair is one request of each kind for sample i.
type pair func(ctx context.Context, i int) (a, b request)

type request struct {
	path string
	body any
}

// Measure runs the three flows with n pairs each, interleaved (each pair in a random
// order): sign-up of a free and a taken address, login with an unknown address and a
// known address with a wrong password, and password reset of an unknown and a known
// address. Every known address is used once per flow, so no lock-out or code resend
// interval is reached.
func (p *Probe) Measure(ctx context.Context, n int) ([]Flow, error) {
	addr := func(i int) string { return fmt.Sprintf("enum-%s-%d@example.com", p.Run, i) }
	nobody := func(flow string, i int) string { return fmt.Sprintf("nobody-%s-%s-%d@example.com", p.Run, flow, i) }
	signup := func(email string) request {
		return request{"/v1/auth/signup", map[string]string{"email": email, "password": p.Password, "name": "Timing"}}
	}
	// Sign-up first: it makes the known accounts the other flows use (the taken address
	// of pair i is the free address of pair i-1, made by the warm-up for pair 0).
	flows := []struct {
		name, a, b string
		pair       pair
	}{
		{"signup", "free address", "taken address", func(_ context.Context, i int) (request, request) {
			return signup(addr(i)), signup(addr(i - 1))
		}},
		{"login", "unknown address", "known address, wrong password", func(_ context.Context, i int) (request, request) {
			wrong := func(e string) request {
				return request{"/v1/auth/login", map[string]string{"email": e, "password": "not the password!!"}}
			}
			return wrong(nobody("login", i)), wrong(addr(i))
		}},
		{"password reset", "unknown address", "known address", func(_ context.Context, i int) (request, request) {
			reset := func(e string) request { return request{"/v1/auth/password-reset", map[string]string{"email": e}} }
			return reset(nobody("reset", i)), reset(addr(i))
		}},
	}
	var out []Flow
	for _, f := range flows {
		flow := Flow{Name: f.name, A: Kind{Name: f.a, Answers: map[string]int{}}, B: Kind{Name: f.b, Answers: map[string]int{}}}
		for i := -WarmupPairs - 1; i < n; i++ {
			a, b := f.pair(ctx, i)
			record := i >= 0
			first, second, kinds := a, b, [2]*Kind{&flow.A, &flow.B}
			if p.Rand.IntN(2) == 1 {
				first, second, kinds = b, a, [2]*Kind{&flow.B, &flow.A}
			}
			for j, r := range []request{first, second} {
				status, body, took, err := p.send(ctx, r)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", f.name, kinds[j].Name, err)
				}
				if record {
					kinds[j].Samples = append(kinds[j].Samples, took)
					kinds[j].Answers[strconv.Itoa(status)+" "+body]++
				}
			}
		}
		out = append(out, flow)
	}
	return out, nil
}

// send posts one request and times it; a 429 rate_limited is waited out (Retry-After)
// and sent again, untimed.
func (p *Probe) send(ctx context.Context, r request) (status int, body string, took time.Duration, err error) {
	js, err := json.Marshal(r.body)
	if err != nil {
		return 0, "", 0, err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.BaseURL+r.path, bytes.NewReader(js))
		if err != nil {
			return 0, "", 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := p.Client.Do(req)
		if err != nil {
			return 0, "", 0, err
		}
		b, err := io.ReadAll(resp.Body)
		took = time.Since(start)
		_ = resp.Body.Close()
		if err != nil {
			return 0, "", 0, err
		}
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), `"rate_limited"`) || attempt == RateLimitedRetriesMax {
			return resp.StatusCode, strings.TrimSpace(string(b)), took, nil
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait < 1 {
			wait = 1
		}
		select {
		case <-ctx.Done():
			return 0, "", 0, ctx.Err()
		case <-time.After(time.Duration(wait)*time.Second + time.Duration(p.Rand.IntN(200))*time.Millisecond):
		}
	}
}

// Table writes the flows as a Markdown table: each kind's count, median and 90th
// percentile, the difference of the medians (B − A), the effect size P(B > A) and the
// Mann-Whitney p-value, and whether the two kinds got the same answers.
func Table(w io.Writer, flows []Flow) {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
	_, _ = fmt.Fprintln(w, "| flow | A | B | n | median A (ms) | median B (ms) | p90 A (ms) | p90 B (ms) | B − A (ms) | P(B > A) | p (Mann-Whitney) | same answers |")
	_, _ = fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, f := range flows {
		_, effect, p := MannWhitney(f.B.Samples, f.A.Samples)
		_, _ = fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %.2f | %.3g | %v |\n",
			f.Name, f.A.Name, f.B.Name, len(f.A.Samples), ms(Median(f.A.Samples)), ms(Median(f.B.Samples)),
			ms(Quantile(f.A.Samples, 0.9)), ms(Quantile(f.B.Samples, 0.9)),
			ms(Median(f.B.Samples)-Median(f.A.Samples)), effect, p, sameAnswers(f.A, f.B))
	}
	for _, f := range flows {
		for _, k := range []Kind{f.A, f.B} {
			_, _ = fmt.Fprintf(w, "\n%s, %s: %s", f.Name, k.Name, answers(k))
		}
	}
	_, _ = fmt.Fprintln(w)
}

func sameAnswers(a, b Kind) bool {
	return answers(a) == answers(b)
}

func answers(k Kind) string {
	keys := make([]string, 0, len(k.Answers))
	for a := range k.Answers {
		keys = append(keys, a)
	}
	sort.Strings(keys)
	return strings.Join(keys, " | ")
}
