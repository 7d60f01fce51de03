// Command invoke runs one function of the deployed stack with its event file and prints
// what it answered: `make invoke FN=MeFunction` (events/README.md). It first makes sure
// the stack has the sample data the events act on (made through the API once per stack,
// remembered in .local/invoke-seed.json) and fills the event's {{placeholders}} from it.
// With -render it prints the filled event instead, for `sam local invoke -e`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/serverless-wallet/wallet/internal/chaos"
	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/invoke"
	"github.com/serverless-wallet/wallet/internal/mailbox"
)

const httpTimeout = 30 * time.Second

func main() { os.Exit(cli.ExitCode(os.Stderr, "invoke", run())) }

func run() error {
	fn := flag.String("fn", "", "the function's logical id in template.yaml, e.g. MeFunction")
	eventPath := flag.String("event", "", "the event file (default events/<fn>.json)")
	render := flag.Bool("render", false, "print the filled event instead of invoking the function")
	stack := flag.String("stack", "wallet", "stack name")
	outputsFile := flag.String("outputs", ".local/outputs.json", "stack outputs written by the deploy")
	seedFile := flag.String("seed", ".local/invoke-seed.json", "where the stack's sample data is remembered")
	adminEmail := flag.String("admin-email", "admin@wallet.local", "the deployment's admin (scripts/deploy-local.sh makes admin@wallet.local)")
	adminPassword := flag.String("admin-password", "local admin password", "the admin's password (set on its first signup)")
	flag.Parse()
	if *fn == "" {
		return fmt.Errorf("usage: invoke -fn <LogicalId> [-event <file>] [-render]")
	}
	if *eventPath == "" {
		*eventPath = filepath.Join("events", *fn+".json")
	}
	event, err := os.ReadFile(*eventPath) // #nosec G304 -- the operator names the file
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if event, err = fill(ctx, event, *fn, *outputsFile, *seedFile, *adminEmail, *adminPassword); err != nil {
		return err
	}
	if *render {
		fmt.Println(string(event))
		return nil
	}
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

// fill seeds the stack when the event has placeholders (an event without any is sent
// as it is) and fills them.
func fill(ctx context.Context, event []byte, fn, outputsFile, seedFile, adminEmail, adminPassword string) ([]byte, error) {
	if !strings.Contains(string(event), "{{") {
		return event, nil
	}
	outputs, err := cli.ReadOutputs(outputsFile)
	if err != nil {
		return nil, fmt.Errorf("the event needs the stack's sample data, made through its API: %w", err)
	}
	box, err := mailbox.FromEnv()
	if err != nil {
		return nil, err
	}
	api := &invoke.API{Client: &chaos.Client{BaseURL: outputs["LocalApiUrl"], HTTP: &http.Client{Timeout: httpTimeout}}, Mail: box}
	seeder := &invoke.Seeder{API: api, APIID: outputs["ApiId"], File: seedFile, AdminEmail: adminEmail, AdminPassword: adminPassword}
	seed, err := seeder.Ensure(ctx)
	if err != nil {
		return nil, err
	}
	values := &invoke.Values{Seed: seed, API: api, Function: fn}
	return values.Render(ctx, event)
}
