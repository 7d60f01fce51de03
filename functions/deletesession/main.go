// Command deletesession serves DELETE /v1/auth/sessions/{id}.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeSessions(nil, apigw.DeleteSession)) }
