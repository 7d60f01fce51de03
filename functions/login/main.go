// Command login serves POST /v1/auth/login.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/secretsapp"
)

func main() { app.ServeUsers(secretsapp.Tokens, apigw.Login) }
