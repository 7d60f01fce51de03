// Command checkledger serves GET /v1/admin/ledger/check.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeWallets(apigw.CheckLedger) }
