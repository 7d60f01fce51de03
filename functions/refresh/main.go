// Command refresh serves POST /v1/auth/refresh.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/secretsapp"
)

func main() { os.Exit(app.ServeSessions(secretsapp.TokensLoading, apigw.Refresh)) }
