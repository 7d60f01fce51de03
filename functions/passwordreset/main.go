// Command passwordreset serves POST /v1/auth/password-reset.
package main

import (
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/app/sesapp"
)

func main() { os.Exit(app.ServePasswords(sesapp.Mail, apigw.PasswordReset)) }
