package app

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/dynamo"
	"github.com/serverless-wallet/wallet/internal/payrequest"
)

// PaymentRequestService builds the payment request service; the pay route passes the
// saga's source (sfnapp.Saga), the others nil and cannot pay.
func (d *Deps) PaymentRequestService(sagaSource SagaSource) (*payrequest.Service, error) {
	s := &payrequest.Service{Store: d.ledgerStore(), Users: &dynamo.Users{DB: d.DynamoDB(), Table: d.Env("USERS_TABLE")}}
	if sagaSource != nil {
		ts, err := d.TransferService(sagaSource)
		if err != nil {
			return nil, err
		}
		s.Payer = ts
	}
	return s, nil
}

// ServePaymentRequests starts a payment request route's function.
func ServePaymentRequests(saga SagaSource, route func(apigw.PaymentRequests) apigw.HandlerFunc) int {
	return serveRoute(func(_ context.Context, d *Deps) (apigw.PaymentRequests, error) { return d.PaymentRequestService(saga) }, route)
}
