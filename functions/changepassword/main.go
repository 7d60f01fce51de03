// Command changepassword serves POST /v1/auth/password.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServePasswords(nil, apigw.ChangePassword)) }
