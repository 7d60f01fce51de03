// Command redeemrewards serves POST /v1/rewards/redeem.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeRewards(apigw.RedeemRewards) }
