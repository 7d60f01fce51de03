// Command createwithdrawal serves POST /v1/wallets/{id}/withdrawals.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeWallets(apigw.CreateWithdrawal)) }
