// Package secrets reads deployment secrets from AWS Secrets Manager.
package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// API is the part of Secrets Manager the package calls.
type API interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Read returns the secret's string value as bytes; read it once per cold start.
func Read(ctx context.Context, api API, id string) ([]byte, error) {
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", id, err)
	}
	if out.SecretString == nil || *out.SecretString == "" {
		return nil, errors.New("read secret " + id + ": empty")
	}
	return []byte(aws.ToString(out.SecretString)), nil
}
