// Command login serves POST /v1/auth/login.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/secretsapp"
)

func main() { os.Exit(app.ServeUsers(secretsapp.TokensLoading, apigw.Login)) }
