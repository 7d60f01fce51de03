// Command notify consumes the notifications queue.
package main

import (
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/snsapp"
)

func main() { app.ServeNotificationConsumer(snsapp.Topic) }
