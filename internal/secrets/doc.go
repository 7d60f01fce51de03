// Package secrets reads deployment secrets from AWS Secrets Manager: the access-token
// signing keys (current and previous) and their rotation.
package secrets

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// API is the part of Secrets Manager the package reads with.
type API interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)
