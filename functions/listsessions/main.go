// Command listsessions serves GET /v1/auth/sessions.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeSessions(nil, apigw.ListSessions)) }
