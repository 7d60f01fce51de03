// Command earnrewards consumes the rewards queue.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeRewardConsumer()) }
