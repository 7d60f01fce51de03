// Command refundtransfer serves POST /v1/transfers/{id}/refunds.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/sfnapp"
)

func main() { os.Exit(app.ServeTransfers(sfnapp.Saga, apigw.RefundTransfer)) }
