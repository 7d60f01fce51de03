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
	concurrency := flag.Int("concurrency", 4, "transfers in flight at once")
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
	a, err := c.NewParty(ctx, runID+"-a@example.com", int64(*n)*amountMinor)
	if err != nil {
		return err
	}
	payee, err := c.NewParty(ctx, runID+"-b@example.com", 0)
	if err != nil {
		return err
	}
	time.Sleep(3 * time.Second) // let the set-up's own events drain before measuring
	c.Requests = 0
	from := time.Now()
	fmt.Printf("running %d transfers, %d at a time\n", *n, *concurrency)
	completed, err := c.Transfers(ctx, a, payee, *n, *concurrency, amountMinor, runID)
	if err != nil {
		return err
	}
	apiRequests := c.Requests
	if err := c.WaitForPoints(ctx, a, int64(completed), time.Now().Add(2*time.Minute)); err != nil {
		return err
	}
	time.Sleep(3 * time.Second) // the notifications consumer runs beside the rewards one
	to := time.Now()

	fns, marks, err := costreport.CollectFunctions(ctx, cloudwatchlogs.NewFromConfig(cfg), *stack, from, to)
	if err != nil {
		return err
	}
	execs, transitions, execMs, err := costreport.CollectExecutions(ctx, sfn.NewFromConfig(cfg), outputs["TransferStateMachineArn"], from, to)
	if err != nil {
		return err
	}
	m := costreport.Measured{Transfers: completed, Functions: fns, Executions: execs, StateTransitions: transitions, ExecutionMs: execMs,
		EventsPublished: marks["PublishEvents: "+event.LogPublished], APIRequests: apiRequests,
		NotificationsTotal: marks["Notify: "+event.LogHandled] + marks["EarnRewards: "+event.LogHandled]}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	cmd := fmt.Sprintf("make cost N=%d", *n)
	if err := costreport.Write(f, m, costreport.ListPrices, cmd); err != nil {
		return err
	}
	lines := costreport.Price(m, costreport.ListPrices)
	fmt.Printf("%d transfers completed; %.2f USD per million completed transfers; report in %s\n", completed, costreport.Total(lines), *out)
	return nil
}
