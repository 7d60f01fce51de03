package app

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/serverless-wallet/wallet/internal/admin"
	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// ServeReviewDesk starts an admin review-desk route's function.
func ServeReviewDesk(route func(apigw.ReviewDesk) apigw.HandlerFunc) int {
	return serveRoute(func(_ context.Context, d *Deps) (apigw.ReviewDesk, error) { return d.TransferService(nil) }, route)
}

// ServeAudit starts the audit trail's route function.
func ServeAudit(route func(apigw.AuditTrail) apigw.HandlerFunc) int {
	return serveRoute(func(_ context.Context, d *Deps) (apigw.AuditTrail, error) {
		return &audit.Service{Store: &dynamo.Audit{DB: d.DynamoDB(), Table: d.Env("AUDIT_TABLE")}}, nil
	}, route)
}

// ServeAccountLookup starts the account look-up route's function (GET /v1/admin/users).
func ServeAccountLookup(route func(apigw.AccountLookup) apigw.HandlerFunc) int {
	return serveRoute(func(ctx context.Context, d *Deps) (apigw.AccountLookup, error) {
		users, err := d.UserService(ctx, nil, nil)
		if err != nil {
			return nil, err
		}
		db := d.DynamoDB()
		return &admin.Lookup{Accounts: &dynamo.Users{DB: db, Table: d.Env("USERS_TABLE")}, Wallets: &dynamo.Ledger{DB: db, Table: d.Env("LEDGER_TABLE")},
			Sessions: users, Trail: &dynamo.Audit{DB: db, Table: d.Env("AUDIT_TABLE")}}, nil
	}, route)
}

// ServeReviewConsumer starts the manual-review queue's consumer, which records each case
// once for the review desk.
func ServeReviewConsumer() int {
	return Start(func(_ context.Context, d *Deps) (any, error) {
		ts, err := d.TransferService(nil)
		if err != nil {
			return nil, err
		}
		decode := func(body []byte) (transfer.ReviewMessage, error) {
			var m transfer.ReviewMessage
			return m, json.Unmarshal(body, &m)
		}
		attrs := func(m transfer.ReviewMessage) []any { return []any{slog.String("transfer_id", m.TransferID)} }
		return event.ConsumeQueue(d.Log, d.Metrics(), event.ConsumerReview, decode, ts.RecordCase, attrs), nil
	})
}
