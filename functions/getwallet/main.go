// Command getwallet serves GET /v1/wallets/{id}.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeWallets(apigw.GetWallet)) }
