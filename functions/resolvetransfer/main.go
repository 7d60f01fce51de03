// Command resolvetransfer serves POST /v1/admin/transfers/{id}/resolve.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeReviewDesk(apigw.ResolveTransfer)) }
