// Command adminusers serves GET /v1/admin/users (an admin's look-up of an account by email).
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeAccountLookup(apigw.AdminUsers)) }
