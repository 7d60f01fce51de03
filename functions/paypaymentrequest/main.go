// Command paypaymentrequest serves POST /v1/payment-requests/{id}/pay.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/sfnapp"
)

func main() { os.Exit(app.ServePaymentRequests(sfnapp.Saga, apigw.PayPaymentRequest)) }
