package apigw

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// PaymentRequests is what the payment request routes need from their service.
type PaymentRequests interface {
	Create(ctx context.Context, c op.Caller, key string, in payrequest.CreateInput) (op.Result, error)
	Get(ctx context.Context, c op.Caller, id string) (payrequest.View, error)
	List(ctx context.Context, c op.Caller, role string, limit int, cursor string) (payrequest.Page, error)
	Pay(ctx context.Context, c op.Caller, id, key string, in transfer.PayInput) (op.Result, error)
	Decline(ctx context.Context, c op.Caller, id string) (payrequest.View, error)
	Cancel(ctx context.Context, c op.Caller, id string) (payrequest.View, error)
}

var _ PaymentRequests = (*payrequest.Service)(nil)

// CreatePaymentRequest answers POST /v1/payment-requests.
func CreatePaymentRequest(ps PaymentRequests) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[payrequest.CreateInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(ps.Create(ctx, c, r.Header(IdempotencyKeyHeader), in))
	})
}

// GetPaymentRequest answers GET /v1/payment-requests/{id}.
func GetPaymentRequest(ps PaymentRequests) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(ps.Get(ctx, c, r.PathParameters["id"]))
	})
}

// ListPaymentRequests answers GET /v1/payment-requests?role=sent|received.
func ListPaymentRequests(ps PaymentRequests) HandlerFunc {
	return paged(payrequest.PageSizeDefault, func(ctx context.Context, r *Request, c op.Caller, limit int, cursor string) (payrequest.Page, error) {
		return ps.List(ctx, c, r.QueryStringParameters["role"], limit, cursor)
	})
}

// PayPaymentRequest answers POST /v1/payment-requests/{id}/pay.
func PayPaymentRequest(ps PaymentRequests) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[transfer.PayInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(ps.Pay(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in))
	})
}

// DeclinePaymentRequest answers POST /v1/payment-requests/{id}/decline.
func DeclinePaymentRequest(ps PaymentRequests) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(ps.Decline(ctx, c, r.PathParameters["id"]))
	})
}

// CancelPaymentRequest answers POST /v1/payment-requests/{id}/cancel.
func CancelPaymentRequest(ps PaymentRequests) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(ps.Cancel(ctx, c, r.PathParameters["id"]))
	})
}
