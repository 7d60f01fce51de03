// Command me serves GET /v1/me.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeUsers(nil, apigw.Me) }
