// Command login serves POST /v1/auth/login.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeUsers(true, apigw.Login) }
