package apigw

import (
	"context"
	"net/http"

	"github.com/serverless-wallet/wallet/internal/notification"
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
