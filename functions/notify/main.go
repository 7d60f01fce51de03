// Command notify consumes the notifications queue.
package main

import "github.com/serverless-wallet/wallet/internal/app"

func main() { app.ServeNotificationConsumer() }
