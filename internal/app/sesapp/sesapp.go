// Package sesapp is the part of the composition root that links the SES client: the
// mailer of the functions that send email. Only their mains import it, so the other
// functions' bootstraps carry no SES code.
package sesapp

import (
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/mail"
	"github.com/serverless-wallet/wallet/internal/user"
)

var _ app.MailSource = Mail

// Mail is the SES mailer, sending from the deployment's MAIL_FROM address.
func Mail(d *app.Deps) (user.Mailer, error) {
	from := d.Env("MAIL_FROM")
	if err := d.EnvErr(); err != nil {
		return nil, err
	}
	return &mail.SES{Client: sesv2.NewFromConfig(d.AWS), From: from}, nil
}
