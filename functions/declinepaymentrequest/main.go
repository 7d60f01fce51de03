// Command declinepaymentrequest serves POST /v1/payment-requests/{id}/decline.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServePaymentRequests(nil, apigw.DeclinePaymentRequest)) }
