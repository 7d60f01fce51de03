package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault is what one saga step acts out (the product's transfer.Fault).
type Fault struct {
	Mode    string `dynamodbav:"mode"` // "fail", "twice" (commit, then lose the answer) or "delay"
	DelayMs int64  `dynamodbav:"delay_ms,omitempty"`
}

// Faults injects saga faults into the deployment.
type Faults interface {
	// Inject makes saga steps act out faults; an empty map clears them. The circuit
	// breaker is left to recover by itself.
	Inject(ctx context.Context, faults map[string]Fault) error
	// Reset puts the fault and breaker items back exactly as the run found them.
	Reset(ctx context.Context) error
}

// Phase is a share of the run, by operations started, with its faults.
type Phase struct {
	Name   string
	From   float64 // share of all operations started, 0..1
	Faults map[string]Fault
}

// twice makes a step commit, then fail as if its answer were lost: the state machine
// runs it again.
var twice = Fault{Mode: "twice"}

// DefaultPhases: a quiet start, then the post step failing (transfers and captures
// compensate with a release; the circuit breaker opens), the post step stalling, every
// step running twice (its first answer lost), the post and its compensation both failing
// (transfers and captures end NEEDS_REVIEW, resolved on the review desk at the end), the
// reserve step stalling, and a quiet end.
var DefaultPhases = []Phase{
	{Name: "quiet", From: 0},
	{Name: "post fails", From: 0.15, Faults: map[string]Fault{"post": {Mode: "fail"}}},
	{Name: "post stalls", From: 0.3, Faults: map[string]Fault{"post": {Mode: "delay", DelayMs: 2500}}},
	{Name: "steps run twice", From: 0.45, Faults: map[string]Fault{"reserve": twice, "post": twice, "finalize": twice, "release": twice}},
	{Name: "compensation fails", From: 0.55, Faults: map[string]Fault{"post": {Mode: "fail"}, "release": {Mode: "fail"}}},
	{Name: "reserve stalls", From: 0.65, Faults: map[string]Fault{"reserve": {Mode: "delay", DelayMs: 2500}}},
	{Name: "quiet", From: 0.8},
}

// Config sizes a run.
type Config struct {
	Clients int // concurrent clients, each a user with one USD wallet
	Ops     int // operations in all
	Seed    uint64
	Phases  []Phase
	// FaultGrace is how long after a fault phase ends 5xx answers are still blamed on it
	// (the circuit breaker's cool-down, sagas still retrying).
	FaultGrace time.Duration
	// SettleWithin bounds the wait for every transfer to reach a final state.
	SettleWithin time.Duration
}

// Transfer statuses the workload waits for.
var finalStatus = map[string]bool{"COMPLETED": true, "FAILED": true, "RELEASED": true, "NEEDS_REVIEW": true}

// User is one client's identity and wallet.
type User struct {
	ID, Email, Token, WalletID string
}

// Expectations is what the clients were told, from which the final state must follow.
type Expectations struct {
	Credits      map[string]int64       // Idempotency-Key → amount, for every 201
	Redemptions  map[string]int64       // Idempotency-Key → amount, for every 201
	Withdrawals  map[string]int64       // Idempotency-Key → amount, for every 201
	Transfers    map[string]User        // transfer id → its payer
	Asked        map[string]User        // payment request id → its asker, for every 201
	Requests     map[string]RequestEnd  // payment request id → the request once every transfer ended
	Undetermined []string               // operations that never got a definitive answer
	Replays      int                    // successful answers replayed and compared
	Mismatches   []string               // replays that differ from the first answer
	Statuses     map[int]int            // every answer's status
	ServerErrors []string               // 5xx other than the breaker's 503 in a fault phase (and its grace)
	Unreadable   []string               // answers whose body could not be read
	Ends         map[string]TransferEnd // transfer id → the transfer as the API showed it once final
	Ops          map[string]int         // operations by kind and outcome
	windows      [][2]time.Time
}

// Workload runs the clients.
type Workload struct {
	API    *Client
	Faults Faults
	Config Config
	Users  []User
	// AdminToken is an admin's token: a transfer that ended NEEDS_REVIEW is resolved on
	// the review desk with a random action before the money is checked. Empty: left so.
	AdminToken string

	mu       sync.Mutex
	exp      Expectations
	received map[string][]paid // wallet id → the immediate transfers completed into it, which its owner may refund
}

// NewWorkload prepares a run against users that exist and have a wallet each.
func NewWorkload(api *Client, faults Faults, cfg Config, users []User) *Workload {
	w := &Workload{API: api, Faults: faults, Config: cfg, Users: users, received: map[string][]paid{}}
	w.exp = Expectations{Credits: map[string]int64{}, Redemptions: map[string]int64{}, Withdrawals: map[string]int64{}, Transfers: map[string]User{},
		Asked: map[string]User{}, Requests: map[string]RequestEnd{},
		Statuses: map[int]int{}, Ops: map[string]int{}, Ends: map[string]TransferEnd{}}
	api.Observe = w.observe
	return w
}

// breakerOpenCode is the code of the circuit breaker's 503 (transfer.ErrUnavailable):
// the one server error a fault phase excuses.
const breakerOpenCode = "service_unavailable"

// observe counts every answer, records a body that is not JSON, and records every 5xx
// except the breaker's 503 inside a fault window (or its grace).
func (w *Workload) observe(method, path string, r Reply) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.exp.Statuses[r.Status]++
	if r.Code() == codeUnreadable {
		w.exp.Unreadable = append(w.exp.Unreadable, fmt.Sprintf("%s %s: %d %q", method, path, r.Status, r.Body))
	}
	if r.Status < 500 {
		return
	}
	if r.Status == http.StatusServiceUnavailable && r.Code() == breakerOpenCode {
		for _, win := range w.exp.windows {
			if !r.At.Before(win[0]) && (win[1].IsZero() || r.At.Before(win[1].Add(w.Config.FaultGrace))) {
				return
			}
		}
	}
	w.exp.ServerErrors = append(w.exp.ServerErrors, fmt.Sprintf("%s %s: %d %s", method, path, r.Status, r.Body))
}

// unreadable records an answer the workload needed and could not read: the operation's
// outcome is unknown, which the money check counts as a problem.
func (w *Workload) unreadable(what string, err error) {
	w.mu.Lock()
	w.exp.Unreadable = append(w.exp.Unreadable, fmt.Sprintf("%s: %v", what, err))
	w.mu.Unlock()
}

func (w *Workload) count(op string) {
	w.mu.Lock()
	w.exp.Ops[op]++
	w.mu.Unlock()
}

func (w *Workload) undetermined(what string, err error) {
	w.mu.Lock()
	w.exp.Undetermined = append(w.exp.Undetermined, fmt.Sprintf("%s: %v", what, err))
	w.mu.Unlock()
}

// Run runs every operation, moving through the fault phases as operations start, then
// clears the faults and waits for every transfer to be final.
func (w *Workload) Run(ctx context.Context) (Expectations, error) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for c := 0; c < w.Config.Clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			// A reproducible operation mix from the printed seed, not a secret; c ≥ 0.
			rng := rand.New(rand.NewPCG(w.Config.Seed, uint64(c))) // #nosec G404 G115
			for range jobs {
				w.step(ctx, rng, w.Users[c%len(w.Users)])
			}
		}(c)
	}
	phase := -1
	var err error
	for i := 0; i < w.Config.Ops && err == nil; i++ {
		if next := w.phaseAt(float64(i) / float64(w.Config.Ops)); next != phase {
			phase = next
			err = w.enter(ctx, w.Config.Phases[phase])
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	close(jobs)
	wg.Wait()
	if clearErr := w.enter(context.WithoutCancel(ctx), Phase{Name: "cleared"}); err == nil {
		err = clearErr
	}
	if resetErr := w.Faults.Reset(context.WithoutCancel(ctx)); err == nil {
		err = resetErr
	}
	if err != nil {
		return w.exp, err
	}
	w.settleAll(ctx)
	err = w.observeRequests(ctx)
	return w.exp, err
}

func (w *Workload) phaseAt(share float64) int {
	p := 0
	for i, ph := range w.Config.Phases {
		if share >= ph.From {
			p = i
		}
	}
	return p
}

// enter sets a phase's faults and opens (or closes) its fault window.
func (w *Workload) enter(ctx context.Context, p Phase) error {
	now := time.Now()
	w.mu.Lock()
	if n := len(w.exp.windows); n > 0 && w.exp.windows[n-1][1].IsZero() {
		w.exp.windows[n-1][1] = now
	}
	if len(p.Faults) > 0 {
		w.exp.windows = append(w.exp.windows, [2]time.Time{now, {}})
	}
	w.mu.Unlock()
	if err := w.Faults.Inject(ctx, p.Faults); err != nil {
		return fmt.Errorf("phase %s: %w", p.Name, err)
	}
	return nil
}

// pollEvery is how often a client looks at a transfer it waits for.
const pollEvery = 500 * time.Millisecond
