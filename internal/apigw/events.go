package apigw

import (
	"context"
	"net/http"

	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/reward"
)

// Notifications is what the notification routes need.
type Notifications interface {
	List(ctx context.Context, userID string, limit int, cursor string) (notification.Page, error)
	MarkRead(ctx context.Context, userID, id string) error
	MarkAllRead(ctx context.Context, userID string) error
}

// Rewards is what the reward routes need.
type Rewards interface {
	Get(ctx context.Context, userID string, limit int, cursor string) (reward.Page, error)
	Redeem(ctx context.Context, c op.Caller, key string, in reward.RedeemInput) (op.Result, error)
}

var (
	_ Notifications = (*notification.Service)(nil)
	_ Rewards       = (*reward.Service)(nil)
)

// ListNotifications answers GET /v1/notifications.
func ListNotifications(ns Notifications) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		limit, err := r.limit(notification.PageSizeDefault)
		if err != nil {
			return Response{}, err
		}
		p, err := ns.List(ctx, c.UserID, limit, r.QueryStringParameters["cursor"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, p)
	}
}

// ReadNotification answers POST /v1/notifications/{id}/read.
func ReadNotification(ns Notifications) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		if err := ns.MarkRead(ctx, c.UserID, r.PathParameters["id"]); err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, map[string]bool{"read": true})
	}
}

// ReadAllNotifications answers POST /v1/notifications/read-all.
func ReadAllNotifications(ns Notifications) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		if err := ns.MarkAllRead(ctx, c.UserID); err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, map[string]int{"unread_count": 0})
	}
}

// GetRewards answers GET /v1/rewards.
func GetRewards(rs Rewards) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		limit, err := r.limit(reward.PageSizeDefault)
		if err != nil {
			return Response{}, err
		}
		p, err := rs.Get(ctx, c.UserID, limit, r.QueryStringParameters["cursor"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, p)
	}
}

// RedeemRewards answers POST /v1/rewards/redeem.
func RedeemRewards(rs Rewards) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		var in reward.RedeemInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		res, err := rs.Redeem(ctx, c, r.Header(IdempotencyKeyHeader), in)
		if err != nil {
			return Response{}, err
		}
		return replayable(res), nil
	}
}
