// Command adminlisttransfers serves GET /v1/admin/transfers (the review desk).
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeReviewDesk(apigw.AdminTransfers)) }
