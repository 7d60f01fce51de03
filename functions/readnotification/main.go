// Command readnotification serves POST /v1/notifications/{id}/read.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeNotifications(apigw.ReadNotification) }
