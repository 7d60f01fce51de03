// Command costreport runs transfers through the API deployed on the local engine and
// writes what a million completed transfers cost on AWS (docs/COST.md).
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

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/costreport"
	"github.com/serverless-wallet/wallet/internal/event"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "costreport", run())) }

func run() error {
	n := flag.Int("n", 200, "transfers to run")
	others := flag.Int("others", 50, "holds captured later, and credits, to run (each)")
	concurrency := flag.Int("concurrency", 4, "operations in flight at once")
	outputsFile := flag.String("outputs", ".local/outputs.json", "stack outputs written by the deploy")
	stack := flag.String("stack", "wallet", "stack name")
	out := flag.String("out", "docs/COST.md", "report file")
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
	c := &costreport.Client{BaseURL: strings.TrimRight(outputs["LocalApiUrl"], "/"), HTTP: &http.Client{Timeout: time.Minute}}
	runID := fmt.Sprintf("cost-%d", time.Now().UnixNano())
	const amountMinor = 100 // earns 1 point: the payer's points count the consumed events
	var parties [4]costreport.Party
	for i, fund := range []int{*n, 0, 0, *others} { // the payer, the payee, the credited owner, the holds' payer
		if parties[i], err = c.NewParty(ctx, fmt.Sprintf("%s-%d@example.com", runID, i), int64(fund)*amountMinor); err != nil {
			return err
		}
	}
	a, payee, owner, holder := parties[0], parties[1], parties[2], parties[3]
	time.Sleep(3 * time.Second) // let the set-up's own events drain before measuring
	run := measurement{c: c, logs: cloudwatchlogs.NewFromConfig(cfg), sfn: sfn.NewFromConfig(cfg), stack: *stack,
		machine: outputs["TransferStateMachineArn"]}

	fmt.Printf("running %d transfers, %d at a time\n", *n, *concurrency)
	m, err := run.measure(ctx, func() (int, error) { return c.Transfers(ctx, a, payee, *n, *concurrency, amountMinor, runID) },
		func(done int) error { return c.WaitForPoints(ctx, a, int64(done), time.Now().Add(2*time.Minute)) })
	if err != nil {
		return err
	}
	fmt.Printf("running %d credits and %d holds captured later\n", *others, *others)
	credits, err := run.measure(ctx, func() (int, error) { return c.Credits(ctx, owner, *others, *concurrency, amountMinor, runID) },
		func(done int) error {
			return c.WaitForNotifications(ctx, owner, event.CreditCompleted, done, time.Now().Add(2*time.Minute))
		})
	if err != nil {
		return err
	}
	holds, err := run.measure(ctx, func() (int, error) { return c.Holds(ctx, holder, payee, *others, *concurrency, amountMinor, runID) },
		func(done int) error { return c.WaitForPoints(ctx, holder, int64(done), time.Now().Add(2*time.Minute)) })
	if err != nil {
		return err
	}

	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	cmd := fmt.Sprintf("make cost N=%d", *n)
	if err := costreport.Write(f, m, costreport.ListPrices, cmd,
		costreport.Operation{Name: "a hold captured later", Measured: holds, Shape: costreport.HoldShape},
		costreport.Operation{Name: "a credit", Measured: credits, Shape: costreport.CreditShape}); err != nil {
		return err
	}
	lines := costreport.Price(m, costreport.ListPrices)
	fmt.Printf("%d transfers completed; %.2f USD per million completed transfers; report in %s\n", m.Transfers, costreport.Total(lines), *out)
	return nil
}

// measurement counts what one run of operations cost.
type measurement struct {
	c       *costreport.Client
	logs    *cloudwatchlogs.Client
	sfn     *sfn.Client
	stack   string
	machine string
}

// measure runs the operations (drive returns how many completed), waits until their
// events are consumed (settled), and counts what the run used.
func (r measurement) measure(ctx context.Context, drive func() (int, error), settled func(done int) error) (costreport.Measured, error) {
	r.c.Requests = 0
	from := time.Now()
	done, err := drive()
	if err != nil {
		return costreport.Measured{}, err
	}
	if done == 0 {
		return costreport.Measured{}, fmt.Errorf("no operation completed")
	}
	apiRequests := r.c.Requests
	if err := settled(done); err != nil {
		return costreport.Measured{}, err
	}
	time.Sleep(3 * time.Second) // the notifications consumer runs beside the rewards one
	to := time.Now()
	fns, marks, err := costreport.CollectFunctions(ctx, r.logs, r.stack, from, to)
	if err != nil {
		return costreport.Measured{}, err
	}
	execs, transitions, execMs, err := costreport.CollectExecutions(ctx, r.sfn, r.machine, from, to)
	if err != nil {
		return costreport.Measured{}, err
	}
	return costreport.Measured{Transfers: done, Functions: fns, Executions: execs, StateTransitions: transitions, ExecutionMs: execMs,
		APIRequests:        apiRequests,
		NotificationsTotal: marks["Notify: "+event.LogHandled] + marks["EarnRewards: "+event.LogHandled]}, nil
}
