// Command publishevents publishes wallet events from the ledger table's stream to the wallet events topic.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/snsapp"
)

func main() { os.Exit(app.ServeEventPublisher(snsapp.Topic)) }
