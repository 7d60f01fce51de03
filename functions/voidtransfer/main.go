// Command voidtransfer serves POST /v1/transfers/{id}/void.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/sfnapp"
)

func main() { app.ServeTransfers(sfnapp.Saga, apigw.VoidTransfer) }
