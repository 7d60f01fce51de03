package apigw

import (
	"context"
	"net/http"
	"strconv"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// ReviewDesk is what the admin transfer routes need from the transfer service.
type ReviewDesk interface {
	Desk(ctx context.Context, c op.Caller, q transfer.DeskQuery) (transfer.DeskPage, error)
	Resolve(ctx context.Context, c op.Caller, id, key string, in transfer.ResolveInput) (op.Result, error)
}

var _ ReviewDesk = (*transfer.Service)(nil)

// AuditTrail is what the audit route needs.
type AuditTrail interface {
	List(ctx context.Context, c op.Caller, targetID string, limit int, cursor string) (audit.Page, error)
}

var _ AuditTrail = (*audit.Service)(nil)

// AdminTransfers answers GET /v1/admin/transfers.
func AdminTransfers(desk ReviewDesk) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		limit, err := r.limit(transfer.DeskPageSizeDefault)
		if err != nil {
			return Response{}, err
		}
		q := transfer.DeskQuery{Status: transfer.Status(r.QueryStringParameters["status"]), Limit: limit, Cursor: r.QueryStringParameters["cursor"]}
		if s, ok := r.QueryStringParameters["older_than_seconds"]; ok {
			if q.OlderThanSeconds, err = strconv.ParseInt(s, 10, 64); err != nil {
				return Response{}, problem.Invalid("invalid_age", "older_than_seconds must be an integer")
			}
		}
		page, err := desk.Desk(ctx, c, q)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, page)
	}
}

// ResolveTransfer answers POST /v1/admin/transfers/{id}/resolve.
func ResolveTransfer(desk ReviewDesk) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		if !c.IsAdmin() { // before the body or the key: a non-admin learns nothing more
			return Response{}, problem.ErrForbidden
		}
		var in transfer.ResolveInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		res, err := desk.Resolve(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in)
		if err != nil {
			return Response{}, err
		}
		return replayable(res), nil
	}
}

// ListAudit answers GET /v1/admin/audit.
func ListAudit(trail AuditTrail) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		limit, err := r.limit(audit.ListPageSizeDefault)
		if err != nil {
			return Response{}, err
		}
		page, err := trail.List(ctx, c, r.QueryStringParameters["target"], limit, r.QueryStringParameters["cursor"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, page)
	}
}
