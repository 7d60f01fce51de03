package app

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// lambdaConfig is the SDK configuration every function needs, read from the variables
// the Lambda service sets in every execution environment:
//   - the region: AWS_REGION;
//   - the execution role's credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//     AWS_SESSION_TOKEN (valid for the environment's lifetime);
//   - the endpoint: AWS_ENDPOINT_URL, set only by the local engines (MiniStack,
//     LocalStack); on AWS each client resolves its regional endpoint;
//   - retries: each client's default, the SDK's standard mode (3 attempts, exponential
//     back-off with jitter, a client-side retry quota).
//
// It takes the place of config.LoadDefaultConfig, whose other sources (shared config
// and credential files, SSO, web identity, process and container credentials, the EC2
// metadata service) a function never uses: leaving them out leaves their packages (the
// SSO, SSO-OIDC, sign-in and STS clients among them) out of every bootstrap and out of
// its cold start.
func lambdaConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	var missing []string
	if region == "" {
		missing = append(missing, "AWS_REGION")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" {
		missing = append(missing, "AWS_ACCESS_KEY_ID")
	}
	if secret == "" {
		missing = append(missing, "AWS_SECRET_ACCESS_KEY")
	}
	if len(missing) > 0 {
		return aws.Config{}, fmt.Errorf("missing environment: %s (set by the Lambda service)", strings.Join(missing, ", "))
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN")),
	}
	if endpoint := getenv("AWS_ENDPOINT_URL"); endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}
