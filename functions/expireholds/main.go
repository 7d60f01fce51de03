// Command expireholds runs every minute and releases holds past their expiry.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeHoldExpiry()) }
