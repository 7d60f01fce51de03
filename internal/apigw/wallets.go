package apigw

import (
	"context"
	"net/http"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Wallets is what the wallet routes need from the wallet service.
type Wallets interface {
	Create(ctx context.Context, c op.Caller, in wallet.CreateInput) (wallet.View, error)
	List(ctx context.Context, c op.Caller) ([]wallet.View, error)
	Get(ctx context.Context, c op.Caller, id string) (wallet.View, error)
	ChangeStatus(ctx context.Context, c op.Caller, id string, in wallet.PatchInput) (wallet.View, error)
	Credit(ctx context.Context, c op.Caller, walletID, key string, in wallet.CreditInput) (op.Result, error)
	Entries(ctx context.Context, c op.Caller, walletID string, limit int, cursor string) (wallet.Page, error)
	CheckLedger(ctx context.Context, c op.Caller) (ledger.Report, error)
}

var _ Wallets = (*wallet.Service)(nil)

// IdempotencyKeyHeader carries the client's idempotency key.
const IdempotencyKeyHeader = "Idempotency-Key"

// CreateWallet answers POST /v1/wallets.
func CreateWallet(ws Wallets) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		var in wallet.CreateInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		v, err := ws.Create(ctx, c, in)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusCreated, v)
	}
}

// ListWallets answers GET /v1/wallets.
func ListWallets(ws Wallets) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		items, err := ws.List(ctx, c)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, map[string]any{"items": items})
	}
}

// GetWallet answers GET /v1/wallets/{id}.
func GetWallet(ws Wallets) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		v, err := ws.Get(ctx, c, r.PathParameters["id"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, v)
	}
}

// PatchWallet answers PATCH /v1/wallets/{id}.
func PatchWallet(ws Wallets) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		var in wallet.PatchInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		v, err := ws.ChangeStatus(ctx, c, r.PathParameters["id"], in)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, v)
	}
}

// CreateCredit answers POST /v1/wallets/{id}/credits.
func CreateCredit(ws Wallets) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		var in wallet.CreditInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		res, err := ws.Credit(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in)
		if err != nil {
			return Response{}, err
		}
		return replayable(res), nil
	}
}

// replayable answers a guarded write's result: its outcome's status and body, or its
// refusal as an error body; a replay says so in a header.
func replayable(res op.Result) Response {
	out := Response{Status: statusOfOutcome[res.Outcome], Raw: res.Body}
	if res.Refusal != nil {
		out = problemResponse(res.Refusal)
	}
	if out.Status == 0 {
		out = Response{Status: http.StatusInternalServerError, Body: internalErrorBody}
	}
	if res.Replayed {
		out.Headers = map[string]string{ReplayedHeader: "true"}
	}
	return out
}

// ListEntries answers GET /v1/wallets/{id}/entries.
func ListEntries(ws Wallets) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		limit, err := r.limit(wallet.EntriesPageSizeDefault)
		if err != nil {
			return Response{}, err
		}
		page, err := ws.Entries(ctx, c, r.PathParameters["id"], limit, r.QueryStringParameters["cursor"])
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, page)
	}
}

// CheckLedger answers GET /v1/admin/ledger/check.
func CheckLedger(ws Wallets) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		rep, err := ws.CheckLedger(ctx, c)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, rep)
	}
}
