// Command readallnotifications serves POST /v1/notifications/read-all.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeNotifications(apigw.ReadAllNotifications) }
