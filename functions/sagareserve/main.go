// Command sagareserve is the transfer saga's Reserve step (statemachines/transfer.asl.json).
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

func main() { os.Exit(app.ServeStep(transfer.StepReserve, (*transfer.Steps).Reserve)) }
