// Package snsapp is the part of the composition root that links the SNS client: the
// topics the event publisher and the notification consumer publish to. Only those two
// functions import it.
package snsapp

import (
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/snsbus"
)

var _ app.TopicSource = Topic

// Topic builds a publisher to the topic whose ARN is in the environment variable arnVar.
func Topic(d *app.Deps, arnVar string) app.Topic {
	return &snsbus.Bus{SNS: sns.NewFromConfig(d.AWS), TopicArn: d.Env(arnVar)}
}
