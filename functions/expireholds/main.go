// Command expireholds runs every minute: it releases holds past their expiry and stores
// EXPIRED on the payment requests past theirs.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeHoldExpiry()) }
