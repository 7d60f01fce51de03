// Command sagapost is the transfer saga's Post step (statemachines/transfer.asl.json).
package main

import (
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

func main() { app.ServeStep((*transfer.Steps).Post) }
