// Command gettransfer serves GET /v1/transfers/{id}.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeTransfers(nil, apigw.GetTransfer)) }
