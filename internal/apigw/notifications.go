package apigw

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/op"
)

// Notifications is what the notification routes need.
type Notifications interface {
	List(ctx context.Context, userID string, limit int, cursor string) (notification.Page, error)
	MarkRead(ctx context.Context, userID, id string) error
	MarkAllRead(ctx context.Context, userID string) error
}

var _ Notifications = (*notification.Service)(nil)

// ListNotifications answers GET /v1/notifications.
func ListNotifications(ns Notifications) HandlerFunc {
	return paged(notification.PageSizeDefault, func(ctx context.Context, _ *Request, c op.Caller, limit int, cursor string) (notification.Page, error) {
		return ns.List(ctx, c.UserID, limit, cursor)
	})
}

// ReadNotification answers POST /v1/notifications/{id}/read.
func ReadNotification(ns Notifications) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(map[string]bool{"read": true}, ns.MarkRead(ctx, c.UserID, r.PathParameters["id"]))
	})
}

// ReadAllNotifications answers POST /v1/notifications/read-all.
func ReadAllNotifications(ns Notifications) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(map[string]int{"unread_count": 0}, ns.MarkAllRead(ctx, c.UserID))
	})
}
