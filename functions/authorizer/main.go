// Command authorizer is the REST API's Lambda TOKEN authorizer.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/secretsapp"
)

func main() { os.Exit(app.ServeAuthorizer(secretsapp.Tokens)) }
