// Command getwallet serves GET /v1/wallets/{id}.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeWallets(apigw.GetWallet) }
