// Command listwallets serves GET /v1/wallets.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeWallets(apigw.ListWallets) }
