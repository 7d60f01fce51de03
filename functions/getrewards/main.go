// Command getrewards serves GET /v1/rewards.
package main

import (
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { app.ServeRewards(apigw.GetRewards) }
