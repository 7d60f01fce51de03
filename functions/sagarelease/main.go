// Command sagarelease is the transfer saga's Release step (statemachines/transfer.asl.json).
package main

import (
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

func main() { app.ServeStep((*transfer.Steps).Release) }
