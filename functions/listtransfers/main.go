// Command listtransfers serves GET /v1/transfers.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeTransfers(nil, apigw.ListTransfers) }
