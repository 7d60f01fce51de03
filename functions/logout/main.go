// Command logout serves POST /v1/auth/logout.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeSessions(nil, apigw.Logout)) }
