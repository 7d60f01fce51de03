// Command createwallet serves POST /v1/wallets.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeWallets(apigw.CreateWallet)) }
