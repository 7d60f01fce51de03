package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Fault is what one saga step acts out (the product's transfer.Fault).
type Fault struct {
	Mode    string `dynamodbav:"mode"` // "fail" or "delay"
	DelayMs int64  `dynamodbav:"delay_ms,omitempty"`
}

// Faults injects saga faults into the deployment.
type Faults interface {
	// Inject makes saga steps act out faults; an empty map clears them. The circuit
	// breaker is left to recover by itself.
	Inject(ctx context.Context, faults map[string]Fault) error
	// Reset clears the faults and closes the breaker, leaving the deployment as a run
	// found it.
	Reset(ctx context.Context) error
}

// Phase is a share of the run, by operations started, with its faults.
type Phase struct {
	Name   string
	From   float64 // share of all operations started, 0..1
	Faults map[string]Fault
}

// DefaultPhases: a quiet start, then the post step failing (transfers and captures
// compensate with a release; the circuit breaker opens), the post step stalling, the
// reserve step stalling, and a quiet end.
var DefaultPhases = []Phase{
	{Name: "quiet", From: 0},
	{Name: "post fails", From: 0.2, Faults: map[string]Fault{"post": {Mode: "fail"}}},
	{Name: "post stalls", From: 0.4, Faults: map[string]Fault{"post": {Mode: "delay", DelayMs: 2500}}},
	{Name: "reserve stalls", From: 0.6, Faults: map[string]Fault{"reserve": {Mode: "delay", DelayMs: 2500}}},
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
	Credits      map[string]int64 // Idempotency-Key → amount, for every 201
	Redemptions  map[string]int64 // Idempotency-Key → amount, for every 201
	Transfers    map[string]User  // transfer id → its payer
	Undetermined []string         // operations that never got a definitive answer
	Replays      int              // successful answers replayed and compared
	Mismatches   []string         // replays that differ from the first answer
	Statuses     map[int]int      // every answer's status
	ServerErrors []string         // 5xx outside a fault phase (and its grace)
	Ops          map[string]int   // operations by kind and outcome
	windows      [][2]time.Time
}

// Workload runs the clients.
type Workload struct {
	API    *Client
	Faults Faults
	Config Config
	Users  []User

	mu  sync.Mutex
	exp Expectations
}

// NewWorkload prepares a run against users that exist and have a wallet each.
func NewWorkload(api *Client, faults Faults, cfg Config, users []User) *Workload {
	w := &Workload{API: api, Faults: faults, Config: cfg, Users: users}
	w.exp = Expectations{Credits: map[string]int64{}, Redemptions: map[string]int64{}, Transfers: map[string]User{},
		Statuses: map[int]int{}, Ops: map[string]int{}}
	api.Observe = w.observe
	return w
}

func (w *Workload) observe(method, path string, r Reply) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.exp.Statuses[r.Status]++
	if r.Status < 500 {
		return
	}
	for _, win := range w.exp.windows {
		if !r.At.Before(win[0]) && (win[1].IsZero() || r.At.Before(win[1].Add(w.Config.FaultGrace))) {
			return
		}
	}
	w.exp.ServerErrors = append(w.exp.ServerErrors, fmt.Sprintf("%s %s: %d %s", method, path, r.Status, r.Body))
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
	return w.exp, nil
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

// Operation mix, in percent.
const (
	shareCredit      = 25
	shareTransfer    = 35
	shareHold        = 25 // the rest are redemptions
	shareReplay      = 10 // of successful credits, replayed to compare the answers
	creditMaxMinor   = 20_000
	transferMaxMinor = 5_000
	holdExpirySecs   = 600
)

func (w *Workload) step(ctx context.Context, rng *rand.Rand, u User) {
	switch n := rng.IntN(100); {
	case n < shareCredit:
		w.credit(ctx, rng, u)
	case n < shareCredit+shareTransfer:
		w.transfer(ctx, rng, u, immediate)
	case n < shareCredit+shareTransfer+shareHold:
		w.transfer(ctx, rng, u, asHold)
	default:
		w.redeem(ctx, rng, u)
	}
}

// created reports whether a money write of kind op was answered 201 Created; any other
// answer is counted by status and code, and no answer at all (err: the retries ran
// out) leaves the write undetermined for the money check.
func (w *Workload) created(op, key string, r Reply, err error) bool {
	if err != nil {
		w.undetermined(op+" "+key, err)
		return false
	}
	if r.Status != http.StatusCreated {
		w.count(fmt.Sprintf("%s %d %s", op, r.Status, r.Code()))
		return false
	}
	return true
}

func (w *Workload) credit(ctx context.Context, rng *rand.Rand, u User) {
	key := uuid.NewString()
	amount := 1 + rng.Int64N(creditMaxMinor)
	path := "/v1/wallets/" + u.WalletID + "/credits"
	body := map[string]int64{"amount": amount}
	r, err := w.API.Settle(ctx, "POST", path, u.Token, key, body)
	if !w.created("credit", key, r, err) {
		return
	}
	w.mu.Lock()
	w.exp.Credits[key] = amount
	w.exp.Ops["credit 201"]++
	w.mu.Unlock()
	if rng.IntN(100) < shareReplay {
		again, err := w.API.Settle(ctx, "POST", path, u.Token, key, body)
		w.mu.Lock()
		w.exp.Replays++
		if err != nil || again.Status != r.Status || string(again.Body) != string(r.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			w.exp.Mismatches = append(w.exp.Mismatches, fmt.Sprintf("credit %s: first %d %s, replay %d %s (err %v)", key, r.Status, r.Body, again.Status, again.Body, err))
		}
		w.mu.Unlock()
	}
}

// transferView is the part of a transfer answer the workload reads.
type transferView struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Amount int64  `json:"amount"`
	Error  struct {
		Code    string `json:"code"`
		Details struct {
			TransferID string `json:"transfer_id"`
		} `json:"details"`
	} `json:"error"`
}

// transferMode is how the workload sends a transfer: moved at once, or held first.
type transferMode int

const (
	immediate transferMode = iota
	asHold
)

func (w *Workload) transfer(ctx context.Context, rng *rand.Rand, u User, mode transferMode) {
	// Any other user, uniformly: draw from all but the last; drawing the payer means the
	// last (who is not the payer, or the payer could not have been drawn).
	payee := w.Users[rng.IntN(len(w.Users)-1)]
	if payee.WalletID == u.WalletID {
		payee = w.Users[len(w.Users)-1]
	}
	body := map[string]any{"source_wallet_id": u.WalletID, "destination_wallet_id": payee.WalletID,
		"amount": 1 + rng.Int64N(transferMaxMinor), "currency": "USD"}
	kind := "transfer"
	if mode == asHold {
		kind = "hold"
		body["mode"] = "hold"
		body["hold_expires_in_seconds"] = holdExpirySecs
	}
	key := uuid.NewString()
	r, err := w.API.Settle(ctx, "POST", "/v1/transfers", u.Token, key, body)
	if err != nil {
		w.undetermined(kind+" "+key, err)
		return
	}
	var v transferView
	_ = json.Unmarshal(r.Body, &v)
	id := v.ID
	if id == "" {
		id = v.Error.Details.TransferID
	}
	w.count(fmt.Sprintf("%s %d %s%s", kind, r.Status, v.Status, v.Error.Code))
	if id == "" {
		return // refused before a transfer existed
	}
	w.mu.Lock()
	w.exp.Transfers[id] = u
	w.mu.Unlock()
	if mode != asHold {
		return
	}
	status := v.Status
	if status == "PENDING" {
		status = w.await(ctx, u, id, func(s string) bool { return s != "PENDING" })
	}
	if status != "HELD" {
		return
	}
	w.resolve(ctx, rng, u, id, v.Amount)
}

// resolve captures a held transfer (fully or partly) or voids it.
func (w *Workload) resolve(ctx context.Context, rng *rand.Rand, u User, id string, amount int64) {
	key := uuid.NewString()
	var r Reply
	var err error
	var op string
	switch rng.IntN(3) {
	case 0:
		op = "void"
		r, err = w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/void", u.Token, key, nil)
	case 1:
		op = "capture all"
		r, err = w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/capture", u.Token, key, nil)
	default:
		op = "capture part"
		r, err = w.API.Settle(ctx, "POST", "/v1/transfers/"+id+"/capture", u.Token, key, map[string]int64{"amount": 1 + rng.Int64N(amount)})
	}
	if err != nil {
		w.undetermined(op+" "+id, err)
		return
	}
	w.count(fmt.Sprintf("%s %d %s", op, r.Status, r.Code()))
}

func (w *Workload) redeem(ctx context.Context, rng *rand.Rand, u User) {
	r, err := w.API.Settle(ctx, "GET", "/v1/rewards", u.Token, "", nil)
	if err != nil || r.Status != http.StatusOK {
		w.count("rewards read failed")
		return
	}
	var rw struct {
		Balances []struct {
			Currency string `json:"currency"`
			Points   int64  `json:"points"`
		} `json:"balances"`
	}
	if r.Decode(&rw) != nil {
		w.count("rewards read failed")
		return
	}
	var points int64
	for _, b := range rw.Balances {
		if b.Currency == "USD" {
			points = b.Points
		}
	}
	if points < 1 {
		w.count("redeem skipped: no points")
		return
	}
	key := uuid.NewString()
	r, err = w.API.Settle(ctx, "POST", "/v1/rewards/redeem", u.Token, key, map[string]any{"points": 1 + rng.Int64N(points), "wallet_id": u.WalletID})
	if !w.created("redeem", key, r, err) {
		return
	}
	var red struct {
		Amount int64 `json:"amount"`
	}
	if err := r.Decode(&red); err != nil {
		w.undetermined("redeem "+key, err)
		return
	}
	w.mu.Lock()
	w.exp.Redemptions[key] = red.Amount
	w.exp.Ops["redeem 201"]++
	w.mu.Unlock()
}

// pollEvery is how often a client looks at a transfer it waits for.
const pollEvery = 500 * time.Millisecond
