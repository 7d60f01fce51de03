// Command invoke runs one function of the deployed stack with an event file and prints
// what it answered: `make invoke FN=MeFunction EVENT=events/MeFunction.json`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/invoke"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "invoke", run())) }

func run() error {
	fn := flag.String("fn", "", "the function's logical id in template.yaml, e.g. MeFunction")
	eventPath := flag.String("event", "", "the event file, e.g. events/MeFunction.json")
	stack := flag.String("stack", "wallet", "stack name")
	flag.Parse()
	if *fn == "" || *eventPath == "" {
		return fmt.Errorf("usage: invoke -fn <LogicalId> -event <file>")
	}
	event, err := os.ReadFile(*eventPath) // #nosec G304 -- the operator names the file
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	name, err := invoke.Resolve(ctx, cloudformation.NewFromConfig(cfg), *stack, *fn)
	if err != nil {
		return err
	}
	res, err := invoke.Run(ctx, lambda.NewFromConfig(cfg), name, event)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, res.Payload, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(res.Payload)
	}
	if res.FunctionError != "" {
		fmt.Printf("function error (%s):\n", res.FunctionError)
	}
	fmt.Println(pretty.String())
	return nil
}
