// Command earnrewards consumes the rewards queue.
package main

import "github.com/serverless-wallet/wallet/internal/app"

func main() { app.ServeRewardConsumer() }
