// Command signup serves POST /v1/auth/signup.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeUsers(nil, apigw.Signup) }
