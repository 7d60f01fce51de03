// Command resolvetransfer serves POST /v1/admin/transfers/{id}/resolve.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeReviewDesk(apigw.ResolveTransfer) }
