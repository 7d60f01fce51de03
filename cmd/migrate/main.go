// Command migrate moves a deployed stack's data to what a new version reads. Each
// migration is conditional on the state it expects, item by item, so a second run, or a
// run beside live traffic, changes nothing twice.
//
//	go run ./cmd/migrate rewards-history --outputs outputs.json
//
// rewards-history lists in the rewards history index (by-time) the lines written before
// the history was one (internal/dynamo Rewards.BackfillHistory). scripts/deploy-local.sh
// runs it after every local deploy; on AWS, run it once after deploying the version that
// added the index (docs/RUNBOOK.md). The outputs file holds the stack's outputs
// (RewardsTableName).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/dynamo"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "migrate", run(os.Args[1:]))) }

const usage = "usage: migrate rewards-history --outputs <stack outputs file>"

func run(args []string) error {
	if len(args) == 0 || args[0] != "rewards-history" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("migrate "+args[0], flag.ContinueOnError)
	outputsFile := fs.String("outputs", "", "the stack outputs file (RewardsTableName)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *outputsFile == "" {
		return errors.New(usage)
	}
	outputs, err := cli.ReadOutputs(*outputsFile)
	if err != nil {
		return err
	}
	table := outputs["RewardsTableName"]
	if table == "" {
		return fmt.Errorf("%s has no RewardsTableName", *outputsFile)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	moved, err := (&dynamo.Rewards{DB: dynamodb.NewFromConfig(cfg), Table: table}).BackfillHistory(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("rewards history: %d earlier lines indexed\n", moved)
	return nil
}
