// Command getrewards serves GET /v1/rewards.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeRewards(apigw.GetRewards)) }
