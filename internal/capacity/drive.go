package capacity

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/serverless-wallet/wallet/internal/costreport"
	"github.com/serverless-wallet/wallet/internal/dynamo"
)

// Limits of the driver.
const (
	opAmountMinor   = 100
	holdExpirySecs  = 600
	fundHeadroomPct = 20
)

// Party is a user with one funded USD wallet, and the ids the meter hashes.
type Party struct {
	costreport.Party
	UserID string
	Role   string
}

// Driver runs the mixes through the deployed API.
type Driver struct {
	API         *costreport.Client
	Concurrency int
	RunID       string
}

// MerchantShards is how many receive shards the merchant's wallet is opened with.
const MerchantShards = 8

// NewParty signs a user up with a funded wallet (with receiveShards receive shards) and
// reads its id.
func (d *Driver) NewParty(ctx context.Context, name, role string, fundMinor int64, receiveShards int) (Party, error) {
	p, err := d.API.NewPartyWith(ctx, fmt.Sprintf("%s-%s@example.com", d.RunID, name), fundMinor, receiveShards)
	if err != nil {
		return Party{}, err
	}
	var me struct {
		ID string `json:"id"`
	}
	if st, err := d.API.Call(ctx, "GET", "/v1/me", p.Token, "", nil, &me); err != nil || st != http.StatusOK {
		return Party{}, fmt.Errorf("read user: %d: %w", st, err)
	}
	return Party{Party: p, UserID: me.ID, Role: role}, nil
}

// Funding is what each of payers payers needs to run n operations of each of mixes
// mixes that move money.
func Funding(n, payers, mixes int) int64 {
	return int64(n*mixes/payers+1) * opAmountMinor * (100 + fundHeadroomPct) / 100
}

// tally counts the operations and the ids each touched.
type tally struct {
	mu      sync.Mutex
	ops     int
	touches map[string]int
	roles   map[string]string
	err     error
}

func (t *tally) done(err error, parties []Party, ids ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if t.err == nil {
			t.err = err
		}
		return
	}
	t.ops++
	for _, p := range parties {
		for _, id := range []string{p.WalletID, p.UserID} {
			h := dynamo.HashSegment(id)
			t.touches[h]++
			t.roles[h] = p.Role
		}
	}
	for _, id := range ids {
		t.touches[dynamo.HashSegment(id)]++
	}
}

// run calls op(i) for i < n, Concurrency at a time.
func (d *Driver) run(n int, op func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, d.Concurrency); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				op(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

type transferView struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (d *Driver) send(ctx context.Context, from, to Party, key string, hold bool) (transferView, error) {
	body := map[string]any{"source_wallet_id": from.WalletID, "destination_wallet_id": to.WalletID, "amount": opAmountMinor, "currency": "USD"}
	want := "COMPLETED"
	if hold {
		body["mode"], body["hold_expires_in_seconds"], want = "hold", holdExpirySecs, "HELD"
	}
	var v transferView
	st, err := d.API.Call(ctx, "POST", "/v1/transfers", from.Token, key, body, &v)
	if err == nil && v.Status != want {
		err = fmt.Errorf("transfer %s: %d %s, want %s", key, st, v.Status, want)
	}
	return v, err
}

// Transfers runs n immediate transfers, the i-th from payers[i%len] to payees[i%len].
func (d *Driver) Transfers(ctx context.Context, mix string, payers, payees []Party, n int) (ops int, touches map[string]int, roles map[string]string, err error) {
	t := &tally{touches: map[string]int{}, roles: map[string]string{}}
	d.run(n, func(i int) {
		from, to := payers[i%len(payers)], payees[i%len(payees)]
		v, err := d.send(ctx, from, to, fmt.Sprintf("%s-%s-%d", d.RunID, mix, i), false)
		t.done(err, []Party{from, to}, v.ID)
	})
	return t.ops, t.touches, t.roles, t.err
}

// Holds places n holds, then captures each in full.
func (d *Driver) Holds(ctx context.Context, payers, payees []Party, n int) (ops int, touches map[string]int, roles map[string]string, err error) {
	ids := make([]string, n)
	var mu sync.Mutex
	var holdErr error
	d.run(n, func(i int) {
		v, err := d.send(ctx, payers[i%len(payers)], payees[i%len(payees)], fmt.Sprintf("%s-hold-%d", d.RunID, i), true)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && holdErr == nil {
			holdErr = err
		}
		ids[i] = v.ID
	})
	if holdErr != nil {
		return 0, nil, nil, holdErr
	}
	t := &tally{touches: map[string]int{}, roles: map[string]string{}}
	d.run(n, func(i int) {
		from, to := payers[i%len(payers)], payees[i%len(payees)]
		var v transferView
		st, err := d.API.Call(ctx, "POST", "/v1/transfers/"+ids[i]+"/capture", from.Token, fmt.Sprintf("%s-capture-%d", d.RunID, i), nil, &v)
		if err == nil && v.Status != "COMPLETED" {
			err = fmt.Errorf("capture %s: %d %s", ids[i], st, v.Status)
		}
		t.done(err, []Party{from, to}, ids[i])
	})
	return t.ops, t.touches, t.roles, t.err
}

// Credits credits n times, the i-th to wallets[i%len].
func (d *Driver) Credits(ctx context.Context, wallets []Party, n int) (ops int, touches map[string]int, roles map[string]string, err error) {
	t := &tally{touches: map[string]int{}, roles: map[string]string{}}
	d.run(n, func(i int) {
		w := wallets[i%len(wallets)]
		st, err := d.API.Call(ctx, "POST", "/v1/wallets/"+w.WalletID+"/credits", w.Token, fmt.Sprintf("%s-credit-%d", d.RunID, i),
			map[string]int64{"amount": opAmountMinor}, nil)
		if err == nil && st != http.StatusCreated {
			err = fmt.Errorf("credit: %d", st)
		}
		t.done(err, []Party{w})
	})
	return t.ops, t.touches, t.roles, t.err
}
