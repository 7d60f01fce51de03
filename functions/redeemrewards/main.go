// Command redeemrewards serves POST /v1/rewards/redeem.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeRewards(apigw.RedeemRewards)) }
