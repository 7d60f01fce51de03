package app

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/reward"
)

// Topic is an SNS topic to publish wallet events and user notifications to.
type Topic interface {
	event.Bus
	notification.Pusher
}

// TopicSource builds the topic whose ARN is in the environment variable arnVar. Only the
// functions that publish have one (snsapp.Topic, over SNS).
type TopicSource func(d *Deps, arnVar string) Topic

// NotificationService builds the notification service; only the consumer pushes, with
// a topic source.
func (d *Deps) NotificationService(push TopicSource) *notification.Service {
	s := &notification.Service{Store: &dynamo.Notifications{DB: d.DynamoDB(), Table: d.Env("NOTIFICATIONS_TABLE")}}
	if push != nil {
		s.Push = push(d, "USER_NOTIFICATIONS_TOPIC_ARN")
		s.Users = &dynamo.Users{DB: d.DynamoDB(), Table: d.Env("USERS_TABLE")}
	}
	return s
}

// RewardService builds the reward service.
func (d *Deps) RewardService() (*reward.Service, error) {
	ledgerStore := d.ledgerStore()
	capPoints, err := d.Int64Env("REWARD_POINTS_PER_TRANSFER_MAX", reward.DefaultPointsPerTransferMax)
	if err != nil {
		return nil, err
	}
	dayPoints, err := d.Int64Env("REWARD_POINTS_PER_DAY_MAX", reward.DefaultPointsPerDayMax)
	if err != nil {
		return nil, err
	}
	return &reward.Service{Store: &dynamo.Rewards{DB: ledgerStore.DB, Table: d.Env("REWARDS_TABLE"), Ledger: ledgerStore},
		Idem: ledgerStore.Idempotency, PointsPerTransferMax: capPoints, PointsPerDayMax: dayPoints}, nil
}

// ServeNotifications starts a notification route's function.
func ServeNotifications(route func(apigw.Notifications) apigw.HandlerFunc) int {
	return serveRoute(func(_ context.Context, d *Deps) (apigw.Notifications, error) { return d.NotificationService(nil), nil }, route)
}

// ServeRewards starts a reward route's function.
func ServeRewards(route func(apigw.Rewards) apigw.HandlerFunc) int {
	return serveRoute(func(_ context.Context, d *Deps) (apigw.Rewards, error) { return d.RewardService() }, route)
}

// ServeEventPublisher starts the ledger-stream function that publishes wallet events
// to the topic that topics builds (snsapp.Topic).
func ServeEventPublisher(topics TopicSource) int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		bus := topics(d, "WALLET_EVENTS_TOPIC_ARN")
		return event.PublishFromStream(d.Log, d.Metrics(), dynamo.EventsOf, bus), nil
	})
}

// ServeNotificationConsumer starts the notifications queue's consumer, which pushes
// each notification to the topic that topics builds (snsapp.Topic).
func ServeNotificationConsumer(topics TopicSource) int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		return event.ConsumeSQS(d.Log, d.Metrics(), event.ConsumerNotifications, d.NotificationService(topics).Handle), nil
	})
}

// ServeRewardConsumer starts the rewards queue's consumer.
func ServeRewardConsumer() int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		rs, err := d.RewardService()
		if err != nil {
			return nil, err
		}
		return event.ConsumeSQS(d.Log, d.Metrics(), event.ConsumerRewards, rs.Handle), nil
	})
}
