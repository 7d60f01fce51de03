package apigw

import (
	"context"
	"net/http"

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
}

var _ Transfers = (*transfer.Service)(nil)

// CreateTransfer answers POST /v1/transfers.
func CreateTransfer(ts Transfers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		var in transfer.CreateInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		res, err := ts.Create(ctx, c, r.Header(IdempotencyKeyHeader), in)
		if err != nil {
			return Response{}, err
		}
		return replayable(res), nil
	}
}

// GetTransfer answers GET /v1/transfers/{id}.
func GetTransfer(ts Transfers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		v, err := ts.Get(ctx, c, r.PathParameters["id"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, v)
	}
}

// ListTransfers answers GET /v1/transfers.
func ListTransfers(ts Transfers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		limit, err := r.limit(transfer.ListPageSizeDefault)
		if err != nil {
			return Response{}, err
		}
		p, err := ts.List(ctx, c, r.QueryStringParameters["wallet_id"], limit, r.QueryStringParameters["cursor"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, p)
	}
}

// CaptureTransfer answers POST /v1/transfers/{id}/capture; the body is optional.
func CaptureTransfer(ts Transfers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		var in transfer.CaptureInput
		if body, err := r.Body(); err != nil {
			return Response{}, err
		} else if len(body) > 0 {
			if err := r.DecodeJSON(&in); err != nil {
				return Response{}, err
			}
		}
		res, err := ts.Capture(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in)
		if err != nil {
			return Response{}, err
		}
		return replayable(res), nil
	}
}

// VoidTransfer answers POST /v1/transfers/{id}/void.
func VoidTransfer(ts Transfers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		res, err := ts.Void(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader))
		if err != nil {
			return Response{}, err
		}
		return replayable(res), nil
	}
}
