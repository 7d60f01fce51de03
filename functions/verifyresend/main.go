// Command verifyresend serves POST /v1/auth/verify/resend.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() { os.Exit(app.ServeUsers(nil, apigw.VerifyResend)) }
