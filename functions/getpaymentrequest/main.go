// Command getpaymentrequest serves GET /v1/payment-requests/{id}.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServePaymentRequests(nil, apigw.GetPaymentRequest)) }
