package apigw

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// Transfers is what the transfer routes need from the transfer service.
type Transfers interface {
	Create(ctx context.Context, c op.Caller, key string, in transfer.CreateInput) (op.Result, error)
	Get(ctx context.Context, c op.Caller, id string) (transfer.View, error)
	List(ctx context.Context, c op.Caller, walletID string, limit int, cursor string) (transfer.Page, error)
	Capture(ctx context.Context, c op.Caller, id, key string, in transfer.CaptureInput) (op.Result, error)
	Void(ctx context.Context, c op.Caller, id, key string) (op.Result, error)
	Refund(ctx context.Context, c op.Caller, id, key string, in transfer.RefundInput) (op.Result, error)
}

var _ Transfers = (*transfer.Service)(nil)

// CreateTransfer answers POST /v1/transfers.
func CreateTransfer(ts Transfers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[transfer.CreateInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(ts.Create(ctx, c, r.Header(IdempotencyKeyHeader), in))
	})
}

// GetTransfer answers GET /v1/transfers/{id}.
func GetTransfer(ts Transfers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(ts.Get(ctx, c, r.PathParameters["id"]))
	})
}

// ListTransfers answers GET /v1/transfers.
func ListTransfers(ts Transfers) HandlerFunc {
	return paged(transfer.ListPageSizeDefault, func(ctx context.Context, r *Request, c op.Caller, limit int, cursor string) (transfer.Page, error) {
		return ts.List(ctx, c, r.QueryStringParameters["wallet_id"], limit, cursor)
	})
}

// CaptureTransfer answers POST /v1/transfers/{id}/capture; the body is optional.
func CaptureTransfer(ts Transfers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		var in transfer.CaptureInput
		if body, err := r.Body(); err != nil {
			return Response{}, err
		} else if len(body) > 0 {
			if err := r.DecodeJSON(&in); err != nil {
				return Response{}, err
			}
		}
		return replayed(ts.Capture(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in))
	})
}

// VoidTransfer answers POST /v1/transfers/{id}/void.
func VoidTransfer(ts Transfers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return replayed(ts.Void(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader)))
	})
}

// RefundTransfer answers POST /v1/transfers/{id}/refunds.
func RefundTransfer(ts Transfers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[transfer.RefundInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(ts.Refund(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in))
	})
}
