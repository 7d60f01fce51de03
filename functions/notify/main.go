// Command notify consumes the notifications queue.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/snsapp"
)

func main() { os.Exit(app.ServeNotificationConsumer(snsapp.Topic)) }
