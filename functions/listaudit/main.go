// Command listaudit serves GET /v1/admin/audit.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeAudit(apigw.ListAudit) }
