// Command deploy packages template.yaml's artifacts and deploys the stack through
// CloudFormation on whatever endpoint the AWS SDK is pointed at (AWS_ENDPOINT_URL):
// the local engine or LocalStack. On AWS use `sam build && sam deploy`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/deploy"
)

type paramFlags map[string]string

func (p paramFlags) String() string { return fmt.Sprint(map[string]string(p)) }

func (p paramFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want Key=Value, got %q", v)
	}
	p[k] = val
	return nil
}

func main() { os.Exit(cli.ExitCode(os.Stderr, "deploy", run())) }

func run() error {
	params := paramFlags{}
	templatePath := flag.String("template", "template.yaml", "SAM template")
	stack := flag.String("stack", "wallet", "stack name")
	buildDir := flag.String("build-dir", "build", "directory with one <function>/bootstrap per function")
	bucket := flag.String("bucket", "wallet-artifacts", "artifact bucket (created when missing)")
	outputsFile := flag.String("outputs", "", "write the stack outputs as JSON to this file")
	emulateImport := flag.String("emulate-import", "", "emulators only: apply what the engine's import of this OpenAPI document skips (request validators, body models, mock integrations, gateway responses) to the stack's REST API (ApiId, ApiStage outputs) and redeploy its stage")
	flattenAlarms := flag.Bool("flatten-metric-math-alarms", false, "emulators only: deploy each metric-math alarm as a single-metric alarm on its first metric, for engines that create no metric-math alarm (they evaluate no alarm either)")
	flag.Var(params, "param", "template parameter Key=Value (repeatable)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	body, err := os.ReadFile(*templatePath)
	if err != nil {
		return err
	}
	d := &deploy.Deployer{
		CFN: cloudformation.NewFromConfig(cfg),
		// An emulator endpoint has no per-bucket host names, so address buckets by path.
		S3:        s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = endpoint != "" }),
		Bucket:    *bucket,
		Region:    cfg.Region,
		BuildDir:  *buildDir,
		BaseDir:   filepath.Dir(*templatePath),
		Log:       os.Stdout,
		StackName: *stack,

		FlattenMetricMathAlarms: *flattenAlarms,
	}
	outputs, err := d.Deploy(ctx, body, params)
	if err != nil {
		return err
	}
	if *emulateImport != "" {
		if err := applyImportExtensions(ctx, cfg, *emulateImport, outputs); err != nil {
			return err
		}
	}
	if endpoint != "" && outputs["ApiId"] != "" {
		outputs["LocalApiUrl"] = deploy.LocalAPIURL(endpoint, outputs["ApiId"], outputs["ApiStage"])
	}
	for _, k := range []string{"LocalApiUrl", "ApiUrl"} {
		if v := outputs[k]; v != "" {
			fmt.Printf("deploy: %s = %s\n", k, v)
		}
	}
	if *outputsFile == "" {
		return nil
	}
	js, err := json.MarshalIndent(outputs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*outputsFile, append(js, '\n'), 0o600) // #nosec G703 -- the operator names the file
}

// applyImportExtensions puts on the stack's REST API the parts of its OpenAPI body that
// the local engine's import ignores (localstack/MINISTACK_GAPS.md, 1), then deploys the
// stage again so it serves them.
func applyImportExtensions(ctx context.Context, cfg aws.Config, docPath string, outputs map[string]string) error {
	doc, err := os.ReadFile(docPath) // #nosec G304 -- the operator names the file
	if err != nil {
		return err
	}
	validation, err := deploy.ReadRequestValidation(doc)
	if err != nil {
		return err
	}
	responses, err := deploy.GatewayResponses(doc)
	if err != nil {
		return err
	}
	mocks, err := deploy.ReadMockIntegrations(doc)
	if err != nil {
		return err
	}
	apiID, stage := outputs["ApiId"], outputs["ApiStage"]
	if apiID == "" || stage == "" {
		return fmt.Errorf("emulate import: the stack has no ApiId and ApiStage outputs")
	}
	client := apigateway.NewFromConfig(cfg)
	if err := deploy.ApplyRequestValidation(ctx, client, apiID, validation); err != nil {
		return err
	}
	if err := deploy.ApplyMockIntegrations(ctx, client, apiID, stage, mocks); err != nil {
		return err
	}
	if err := deploy.ApplyGatewayResponses(ctx, client, apiID, stage, responses); err != nil {
		return err
	}
	fmt.Printf("deploy: %d request validators, %d body models on %d operations, %d mock integrations and %d gateway responses put on API %s; stage %s redeployed\n",
		len(validation.Validators), len(validation.Models), len(validation.Methods), len(mocks), len(responses), apiID, stage)
	return nil
}
