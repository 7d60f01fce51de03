package apigw

import (
	"context"
	"strconv"

	"github.com/serverless-wallet/wallet/internal/admin"
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
	return paged(transfer.DeskPageSizeDefault, func(ctx context.Context, r *Request, c op.Caller, limit int, cursor string) (transfer.DeskPage, error) {
		q := transfer.DeskQuery{Status: transfer.Status(r.QueryStringParameters["status"]), Limit: limit, Cursor: cursor}
		if s, ok := r.QueryStringParameters["older_than_seconds"]; ok {
			age, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return transfer.DeskPage{}, problem.Invalid("invalid_age", "older_than_seconds must be an integer")
			}
			q.OlderThanSeconds = age
		}
		return desk.Desk(ctx, c, q)
	})
}

// ResolveTransfer answers POST /v1/admin/transfers/{id}/resolve.
func ResolveTransfer(desk ReviewDesk) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		if !c.IsAdmin() { // before the body or the key: a non-admin learns nothing more
			return Response{}, problem.ErrForbidden
		}
		in, err := bodyOf[transfer.ResolveInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(desk.Resolve(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in))
	})
}

// ListAudit answers GET /v1/admin/audit.
func ListAudit(trail AuditTrail) HandlerFunc {
	return paged(audit.ListPageSizeDefault, func(ctx context.Context, r *Request, c op.Caller, limit int, cursor string) (audit.Page, error) {
		return trail.List(ctx, c, r.QueryStringParameters["target"], limit, cursor)
	})
}

// AccountLookup is what the account look-up route needs.
type AccountLookup interface {
	ByEmail(ctx context.Context, c op.Caller, email string) (admin.Account, error)
}

var _ AccountLookup = (*admin.Lookup)(nil)

// AdminUsers answers GET /v1/admin/users?email=….
func AdminUsers(lookup AccountLookup) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(lookup.ByEmail(ctx, c, r.QueryStringParameters["email"]))
	})
}
