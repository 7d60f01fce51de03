// Command createcredit serves POST /v1/wallets/{id}/credits.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeWallets(apigw.CreateCredit) }
