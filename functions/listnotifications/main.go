// Command listnotifications serves GET /v1/notifications.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeNotifications(apigw.ListNotifications)) }
