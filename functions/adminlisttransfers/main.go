// Command adminlisttransfers serves GET /v1/admin/transfers (the review desk).
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeReviewDesk(apigw.AdminTransfers) }
