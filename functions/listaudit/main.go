// Command listaudit serves GET /v1/admin/audit.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeAudit(apigw.ListAudit)) }
