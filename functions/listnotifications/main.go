// Command listnotifications serves GET /v1/notifications.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeNotifications(apigw.ListNotifications) }
