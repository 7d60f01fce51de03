// Command trace prints one transfer's whole story from the stack's logs, oldest first:
// go run ./cmd/trace --id <transfer id> (make trace ID=<transfer id> on the local
// engine); without an id, every line of the stack's functions, interleaved by time. On AWS, the Logs Insights query in docs/RUNBOOK.md does the same.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/trace"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "trace", run())) }

func run() error {
	id := flag.String("id", "", "the transfer id (or any id the logs carry: an API request id, an event id); empty: every line")
	stack := flag.String("stack", "wallet", "stack name")
	since := flag.Duration("since", 24*time.Hour, "how far back to search")
	flag.Parse()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	logs, from := cloudwatchlogs.NewFromConfig(cfg), time.Now().Add(-*since)
	var lines []trace.Line
	if *id == "" {
		lines, err = trace.All(ctx, logs, *stack, from)
	} else {
		lines, err = trace.Story(ctx, logs, *stack, *id, from)
	}
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("no log line of stack %s names %s in the last %s", *stack, *id, *since)
	}
	for _, l := range lines {
		fmt.Printf("%s  %-28s %s\n", l.At.Format("15:04:05.000"), l.Function, l.Message)
	}
	return nil
}
