// Command faults sets or clears the saga fault injection of a local deployment (the
// CONTROL/FAULTS item of the ledger table, read by every saga step when the stack's
// FaultInjection parameter is on), the mechanism the integration and chaos tests use.
// The browser journey runs it to make a NEEDS_REVIEW transfer:
//
//	go run ./cmd/faults -set post=fail,release=fail
//	go run ./cmd/faults -clear
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/chaos"
	"github.com/serverless-wallet/wallet/internal/cli"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "faults", run())) }

func run() error {
	set := flag.String("set", "", "step=mode pairs, comma-separated (modes: fail, twice, delay)")
	clearAll := flag.Bool("clear", false, "remove every injected fault")
	outputsFile := flag.String("outputs", ".local/outputs.json", "stack outputs written by the deploy")
	flag.Parse()
	if (*set == "") == !*clearAll {
		return errors.New("give exactly one of -set or -clear")
	}
	faults, err := parseFaults(*set)
	if err != nil {
		return err
	}
	outputs, err := cli.ReadOutputs(*outputsFile)
	if err != nil {
		return err
	}
	if outputs["FaultInjection"] != "true" {
		return errors.New("the deployment does not read injected faults (output FaultInjection): deploy with FAULT_INJECTION=true")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(cfg)
	table := aws.String(outputs["LedgerTableName"])
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "CONTROL"}, "sk": &ddbtypes.AttributeValueMemberS{Value: "FAULTS"}}
	if *clearAll {
		_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key})
		return err
	}
	item, err := attributevalue.MarshalMap(map[string]any{"pk": "CONTROL", "sk": "FAULTS", "faults": faults})
	if err != nil {
		return err
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item})
	return err
}

// parseFaults reads "post=fail,release=fail" into the steps' faults.
func parseFaults(s string) (map[string]chaos.Fault, error) {
	faults := map[string]chaos.Fault{}
	if s == "" {
		return faults, nil
	}
	for _, pair := range strings.Split(s, ",") {
		step, mode, ok := strings.Cut(pair, "=")
		if !ok || step == "" || mode == "" {
			return nil, fmt.Errorf("fault %q: want step=mode", pair)
		}
		faults[step] = chaos.Fault{Mode: mode}
	}
	return faults, nil
}
