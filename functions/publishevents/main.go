// Command publishevents publishes wallet events from the ledger table's stream to the wallet events topic.
package main

import (
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/snsapp"
)

func main() { app.ServeEventPublisher(snsapp.Topic) }
