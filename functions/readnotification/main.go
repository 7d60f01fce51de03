// Command readnotification serves POST /v1/notifications/{id}/read.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeNotifications(apigw.ReadNotification)) }
