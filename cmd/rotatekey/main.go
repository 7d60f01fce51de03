// Command rotatekey rotates the access-token signing key: it writes a new random key as
// the secret's AWSCURRENT version, so the key that was current becomes AWSPREVIOUS (still
// accepted until the tokens it signed expire) and the one before it is retired. Functions
// pick the new key up within SigningKeyRefreshSeconds; no redeploy is needed.
//
//	go run ./cmd/rotatekey --secret <SigningKeySecret ARN>   # AWS: credentials from the environment
//	make rotate-key                                          # the local stack (reads .local/outputs.json)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/serverless-wallet/wallet/internal/cli"
	"github.com/serverless-wallet/wallet/internal/secrets"
)

func main() { os.Exit(cli.ExitCode(os.Stderr, "rotatekey", run())) }

func run() error {
	secret := flag.String("secret", "", "ARN or name of the signing key secret (the stack output SigningKeySecretArn)")
	outputsFile := flag.String("outputs", "", "read the secret from this stack outputs file instead")
	flag.Parse()
	if *secret == "" && *outputsFile != "" {
		outputs, err := cli.ReadOutputs(*outputsFile)
		if err != nil {
			return err
		}
		*secret = outputs["SigningKeySecretArn"]
	}
	if *secret == "" {
		return errors.New("give --secret or --outputs")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	id, err := secrets.RotateSigningKey(ctx, secretsmanager.NewFromConfig(cfg), *secret)
	if err != nil {
		return err
	}
	fmt.Println("new signing key version:", id)
	return nil
}
