// Command expireholds runs every minute and releases holds past their expiry.
package main

import "github.com/serverless-wallet/wallet/internal/app"

func main() { app.ServeHoldExpiry() }
