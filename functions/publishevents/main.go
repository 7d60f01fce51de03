// Command publishevents publishes wallet events from the ledger table's stream to the wallet events topic.
package main

import "github.com/serverless-wallet/wallet/internal/app"

func main() { app.ServeEventPublisher() }
