package apigw

import (
	"context"

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
	Withdraw(ctx context.Context, c op.Caller, walletID, key string, in wallet.WithdrawalInput) (op.Result, error)
	Entries(ctx context.Context, c op.Caller, walletID string, limit int, cursor string) (wallet.Page, error)
	CheckLedger(ctx context.Context, c op.Caller) (ledger.Report, error)
}

var _ Wallets = (*wallet.Service)(nil)

// IdempotencyKeyHeader carries the client's idempotency key.
const IdempotencyKeyHeader = "Idempotency-Key"

// CreateWallet answers POST /v1/wallets.
func CreateWallet(ws Wallets) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[wallet.CreateInput](r)
		if err != nil {
			return Response{}, err
		}
		return created(ws.Create(ctx, c, in))
	})
}

// ListWallets answers GET /v1/wallets.
func ListWallets(ws Wallets) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		items, err := ws.List(ctx, c)
		return ok(map[string]any{"items": items}, err)
	})
}

// GetWallet answers GET /v1/wallets/{id}.
func GetWallet(ws Wallets) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(ws.Get(ctx, c, r.PathParameters["id"]))
	})
}

// PatchWallet answers PATCH /v1/wallets/{id}.
func PatchWallet(ws Wallets) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[wallet.PatchInput](r)
		if err != nil {
			return Response{}, err
		}
		return ok(ws.ChangeStatus(ctx, c, r.PathParameters["id"], in))
	})
}

// CreateCredit answers POST /v1/wallets/{id}/credits.
func CreateCredit(ws Wallets) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[wallet.CreditInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(ws.Credit(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in))
	})
}

// ListEntries answers GET /v1/wallets/{id}/entries.
func ListEntries(ws Wallets) HandlerFunc {
	return paged(wallet.EntriesPageSizeDefault, func(ctx context.Context, r *Request, c op.Caller, limit int, cursor string) (wallet.Page, error) {
		return ws.Entries(ctx, c, r.PathParameters["id"], limit, cursor)
	})
}

// CheckLedger answers GET /v1/admin/ledger/check.
func CheckLedger(ws Wallets) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(ws.CheckLedger(ctx, c))
	})
}

// CreateWithdrawal answers POST /v1/wallets/{id}/withdrawals.
func CreateWithdrawal(ws Wallets) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[wallet.WithdrawalInput](r)
		if err != nil {
			return Response{}, err
		}
		return replayed(ws.Withdraw(ctx, c, r.PathParameters["id"], r.Header(IdempotencyKeyHeader), in))
	})
}
