// Command verifyresend serves POST /v1/auth/verify/resend.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/sesapp"
)

func main() { os.Exit(app.ServeMailingUsers(sesapp.Mail, apigw.VerifyResend)) }
