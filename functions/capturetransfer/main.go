// Command capturetransfer serves POST /v1/transfers/{id}/capture.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/sfnapp"
)

func main() { app.ServeTransfers(sfnapp.Saga, apigw.CaptureTransfer) }
