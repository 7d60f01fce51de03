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

// Topic builds a publisher to the topic whose ARN is in the environment variable arnVar;
// a deployment that measures cost logs each publish request's billed size.
func Topic(d *app.Deps, arnVar string) app.Topic {
	var api snsbus.API = sns.NewFromConfig(d.AWS)
	if d.Metered() {
		api = &snsbus.Metered{API: api, Log: d.Log}
	}
	return &snsbus.Bus{SNS: api, TopicArn: d.Env(arnVar)}
}
