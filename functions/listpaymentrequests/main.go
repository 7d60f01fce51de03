// Command listpaymentrequests serves GET /v1/payment-requests.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServePaymentRequests(nil, apigw.ListPaymentRequests)) }
