// Package secretsapp is the part of the composition root that links the Secrets Manager
// client: the token issuer/verifier over the signing keys. Only the functions that sign
// or check tokens (login, the authorizer) import it.
package secretsapp

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/secrets"
)

var (
	_ app.TokenSource = Tokens
	_ app.TokenSource = TokensLoading
)

// defaultKeyRefreshSeconds is how often a warm function re-reads the signing keys when
// the deployment does not say.
const defaultKeyRefreshSeconds = 300

// Tokens builds the token issuer/verifier over the signing keys in Secrets Manager,
// read at the cold start and re-read every SIGNING_KEY_REFRESH_SECONDS so a rotation
// needs no redeploy. The authorizer's: it verifies a token first thing.
func Tokens(ctx context.Context, d *app.Deps) (*auth.Tokens, error) {
	return tokens(ctx, d, false)
}

// TokensLoading is Tokens whose first read of the keys runs in the background
// (auth.NewTokensLoading), for the functions that sign tokens after work of their own
// (login's password hash, refresh's session checks): their cold start does not wait for
// Secrets Manager, and the read runs while that work does.
func TokensLoading(ctx context.Context, d *app.Deps) (*auth.Tokens, error) {
	return tokens(ctx, d, true)
}

func tokens(ctx context.Context, d *app.Deps, background bool) (*auth.Tokens, error) {
	secretID, issuer, audience := d.Env("SIGNING_KEY_SECRET_ARN"), d.Env("TOKEN_ISSUER"), d.Env("TOKEN_AUDIENCE")
	if err := d.EnvErr(); err != nil {
		return nil, err
	}
	refresh, err := d.Int64Env("SIGNING_KEY_REFRESH_SECONDS", defaultKeyRefreshSeconds)
	if err != nil {
		return nil, err
	}
	keys := secrets.SigningKeys{API: secretsmanager.NewFromConfig(d.AWS), SecretID: secretID}
	if background {
		return auth.NewTokensLoading(keys, time.Duration(refresh)*time.Second, issuer, audience, nil)
	}
	return auth.NewTokens(ctx, keys, time.Duration(refresh)*time.Second, issuer, audience, nil)
}
