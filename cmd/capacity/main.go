// Command capacity runs the mixes of operations through the API deployed on the local
// engine and writes where each would stop scaling on AWS (docs/CAPACITY.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/serverless-wallet/wallet/internal/capacity"
	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/costreport"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// cachedKeys are the keys the functions read from a copy, with the copy's lifetime (s).
var cachedKeys = map[string]float64{"ledger:CONTROL#BREAKER": transfer.BreakerCacheSeconds}

func main() { os.Exit(cli.ExitCode(os.Stderr, "capacity", run())) }

type env struct {
	logs    *cloudwatchlogs.Client
	sfn     *sfn.Client
	api     *costreport.Client
	stack   string
	machine string
	settle  time.Duration
}

func run() error {
	n := flag.Int("n", 24, "operations per mix")
	payers := flag.Int("payers", 4, "distinct payers (and as many payees)")
	concurrency := flag.Int("concurrency", 4, "operations in flight at once")
	settle := flag.Duration("settle", 6*time.Second, "wait after a mix for its events to be consumed")
	outputsFile := flag.String("outputs", ".local/outputs.json", "stack outputs written by the deploy")
	stack := flag.String("stack", "wallet", "stack name")
	out := flag.String("out", "docs/CAPACITY.md", "report file")
	baseline := flag.String("baseline", "", "results of an earlier run to show as before (JSON)")
	baselineName := flag.String("baseline-name", "before", "what the baseline was measured on")
	save := flag.String("save", "", "also write this run's results here (JSON)")
	flag.Parse()
	ctx := context.Background()

	outputs, err := cli.ReadOutputs(*outputsFile)
	if err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	e := env{logs: cloudwatchlogs.NewFromConfig(cfg), sfn: sfn.NewFromConfig(cfg), stack: *stack, settle: *settle,
		machine: outputs["TransferStateMachineArn"],
		api:     &costreport.Client{BaseURL: strings.TrimRight(outputs["LocalApiUrl"], "/"), HTTP: &http.Client{Timeout: time.Minute}}}
	d := &capacity.Driver{API: e.api, Concurrency: *concurrency, RunID: fmt.Sprintf("cap-%d", time.Now().UnixNano())}

	fmt.Printf("setting up %d payers, %d payees and a merchant\n", *payers, *payers)
	fund := capacity.Funding(*n, *payers, 3)
	var from, to []capacity.Party
	for i := 0; i < *payers; i++ {
		p, err := d.NewParty(ctx, fmt.Sprintf("payer%d", i), "payer", fund, 0)
		if err != nil {
			return err
		}
		q, err := d.NewParty(ctx, fmt.Sprintf("payee%d", i), "payee", 0, 0)
		if err != nil {
			return err
		}
		from, to = append(from, p), append(to, q)
	}
	merchant, err := d.NewParty(ctx, "merchant", "merchant", 0, capacity.MerchantShards)
	if err != nil {
		return err
	}
	time.Sleep(*settle) // let the set-up's own events drain before measuring

	type mixRun struct {
		name, what string
		run        func() (int, map[string]int, map[string]string, error)
	}
	runs := []mixRun{
		{"Immediate transfers between distinct users", fmt.Sprintf("Each of %d payers pays its own payee (no wallet shared between pairs).", *payers),
			func() (int, map[string]int, map[string]string, error) {
				return d.Transfers(ctx, "spread", from, to, *n)
			}},
		{"Holds captured later", fmt.Sprintf("Each of %d payers places holds for its own payee; all are captured after all are placed (an operation is a hold and its capture).", *payers),
			func() (int, map[string]int, map[string]string, error) { return d.Holds(ctx, from, to, *n) }},
		{"Credits", fmt.Sprintf("Credits spread over %d wallets.", *payers),
			func() (int, map[string]int, map[string]string, error) { return d.Credits(ctx, to, *n) }},
		{"One merchant wallet receiving", fmt.Sprintf("%d payers all pay the same merchant wallet, opened with %d receive shards.", *payers, capacity.MerchantShards),
			func() (int, map[string]int, map[string]string, error) {
				return d.Transfers(ctx, "merchant", from, []capacity.Party{merchant}, *n)
			}},
	}
	var mixes []capacity.Mix
	for _, r := range runs {
		fmt.Printf("mix: %s (%d operations)\n", r.name, *n)
		m, err := e.measure(ctx, r.name, r.what, r.run)
		if err != nil {
			return err
		}
		mixes = append(mixes, m)
	}

	rep := capacity.Report{Command: fmt.Sprintf("make capacity N=%d", *n), Date: time.Now().UTC().Format("2006-01-02"), Mixes: mixes, Baseline: *baselineName}
	if *baseline != "" {
		if rep.Before, err = capacity.LoadResults(*baseline); err != nil {
			return err
		}
	}
	if *save != "" {
		if err := capacity.SaveResults(*save, capacity.Results(mixes)); err != nil {
			return err
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if err := capacity.Write(f, rep); err != nil {
		return err
	}
	for _, res := range capacity.Results(mixes) {
		fmt.Printf("%s: %.0f/s (%s); raisable quotas raised: %.0f/s (%s)\n", res.Mix, res.Ceiling, res.SetBy, res.KeyCeiling, res.KeySetBy)
	}
	fmt.Printf("report in %s\n", *out)
	return nil
}

// measure runs one mix and reads what it did from the engine's records.
func (e env) measure(ctx context.Context, name, what string, run func() (int, map[string]int, map[string]string, error)) (capacity.Mix, error) {
	requests := e.api.Requests
	start := time.Now()
	ops, touches, roles, err := run()
	if err != nil {
		return capacity.Mix{}, fmt.Errorf("%s: %w", name, err)
	}
	apiRequests := e.api.Requests - requests
	time.Sleep(e.settle)
	end := time.Now()
	fns, _, err := costreport.CollectFunctions(ctx, e.logs, e.stack, start, end)
	if err != nil {
		return capacity.Mix{}, err
	}
	execs, _, _, err := costreport.CollectExecutions(ctx, e.sfn, e.machine, start, end)
	if err != nil {
		return capacity.Mix{}, err
	}
	m := capacity.Mix{Name: name, Description: what, Ops: ops, Keys: map[string]costreport.KeyUnits{}, Touches: touches, Roles: roles,
		APIRequests: apiRequests, Executions: execs, Buckets: dynamo.ShardedKeys(), ReceiveShards: capacity.MerchantShards,
		Cached: map[string]capacity.CachedRead{}}
	for shape, ttl := range cachedKeys {
		c := capacity.CachedRead{TTLSeconds: ttl}
		calls, units := 0, 0.0
		for _, f := range fns {
			if u, ok := f.Keys[shape]; ok {
				c.FunctionSecondsPerOp += float64(f.BilledDurationMs) / 1000 / float64(max(ops, 1))
				calls, units = calls+u.Calls, units+u.ReadUnits
			}
		}
		if calls > 0 {
			c.UnitsPerRead = units / float64(calls)
			m.Cached[shape] = c
		}
	}
	for _, f := range fns {
		m.LambdaSeconds += float64(f.BilledDurationMs) / 1000
		for k, u := range f.Keys {
			t := m.Keys[k]
			t.Calls += u.Calls
			t.ReadUnits += u.ReadUnits
			t.WriteUnits += u.WriteUnits
			m.Keys[k] = t
		}
	}
	return m, nil
}
