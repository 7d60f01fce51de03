// Command authorizer is the REST API's Lambda TOKEN authorizer.
package main

import (
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/secretsapp"
)

func main() { app.ServeAuthorizer(secretsapp.Tokens) }
