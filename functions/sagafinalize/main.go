// Command sagafinalize is the transfer saga's Finalize step (statemachines/transfer.asl.json).
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

func main() { os.Exit(app.ServeStep(transfer.StepFinalize, (*transfer.Steps).Finalize)) }
