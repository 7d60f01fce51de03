package transfer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

const (
	requestID = "1a000000-0000-4000-8000-00000000000a"
	ownerC    = "user-c"
	payeeWID  = "1c000000-0000-4000-8000-00000000000c" // ownerC, USD
)

// requestEnv is a service whose saga runs in-process, with a PENDING request of
// amountMinor from ownerC to callerA.
func requestEnv(t *testing.T, amountMinor int64) *serviceEnv {
	t.Helper()
	e := newServiceEnv(t)
	e.runner.steps = e.steps
	e.store.Wallets[payeeWID] = usdWallet(payeeWID, ownerC, 0)
	now := e.clock.Now()
	e.store.AddRequest(payrequest.Request{ID: requestID, PayeeID: ownerC, ToEmail: "a@example.com", AmountMinor: amountMinor,
		Currency: "USD", Status: payrequest.StatusPending, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour), Version: 1})
	return e
}

func payOnce(e *serviceEnv, key string) (op.Result, error) {
	load := func(context.Context) (transfer.RequestPayment, error) {
		r := e.store.Requests[requestID]
		return transfer.RequestPayment{RequestID: r.ID, PayeeID: r.PayeeID, AmountMinor: r.AmountMinor, Currency: r.Currency}, nil
	}
	return e.svc.PayRequest(context.Background(), callerA, requestID, key, transfer.PayInput{WalletID: srcID}, load)
}

// TestPayRequest: a payment creates its transfer with the request PAYING, and the
// transfer's end settles the request (PAID) or reopens it (PENDING); a payment that
// finds the request taken moves nothing.
func TestPayRequest(t *testing.T) {
	tests := []struct {
		name        string
		amountMinor int64
		racer       func(s *memstore.Store) // another payment, forced between this one's checks and its write
		expire      bool
		wantErr     error
		wantCode    string // the refusal of a transfer that FAILED
		wantStatus  payrequest.Status
		wantMoved   int64
	}{
		{name: "paid", amountMinor: 1_000, wantStatus: payrequest.StatusPaid, wantMoved: 1_000},
		{name: "short of funds: payable again", amountMinor: startMinor + 1, wantCode: "insufficient_funds",
			wantStatus: payrequest.StatusPending},
		{name: "another key's payment wrote first", amountMinor: 1_000, wantErr: payrequest.ErrPaying,
			wantStatus: payrequest.StatusPaying, racer: func(s *memstore.Store) {
				r := s.Requests[requestID]
				r.Status, r.TransferID = payrequest.StatusPaying, "another-transfer"
				s.Requests[requestID] = r
			}},
		{name: "expired between the check and the write", amountMinor: 1_000, expire: true, wantErr: payrequest.ErrExpired,
			wantStatus: payrequest.StatusPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := requestEnv(t, tt.amountMinor)
			e.store.OnCreate = tt.racer
			if tt.expire {
				r := e.store.Requests[requestID]
				r.ExpiresAt = e.clock.Now()
				e.store.Requests[requestID] = r
			}
			res, err := payOnce(e, "pay-1")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				_, released := idemCounts(e.idem)
				assert.Equal(t, 1, released, "the key is free again")
			} else {
				require.NoError(t, err)
				if tt.wantCode != "" {
					require.NotNil(t, res.Refusal)
					assert.Equal(t, tt.wantCode, res.Refusal.Code)
				} else {
					assert.Equal(t, op.Created, res.Outcome, "%s", res.Body)
					v := decodeView(t, res.Body)
					assert.Equal(t, requestID, v.PaymentRequestID)
					assert.Equal(t, v.ID, e.store.Requests[requestID].TransferID)
				}
			}
			got := e.store.Requests[requestID]
			assert.Equal(t, tt.wantStatus, got.Status)
			if tt.wantStatus == payrequest.StatusPending {
				assert.Empty(t, got.TransferID, "reopened: no transfer pays it")
			}
			assert.Equal(t, tt.wantMoved, e.store.StoredWallet(payeeWID).BalanceMinor)
			assert.Equal(t, startMinor-tt.wantMoved, e.store.StoredWallet(srcID).BalanceMinor)
		})
	}
}

// TestPayRequestTwice: the same key replays the one transfer after the request is PAID;
// another key is refused by the request, and nothing moves twice.
func TestPayRequestTwice(t *testing.T) {
	e := requestEnv(t, 1_000)
	first, err := payOnce(e, "pay-1")
	require.NoError(t, err)
	id := decodeView(t, first.Body).ID

	again, err := payOnce(e, "pay-1")
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, id, decodeView(t, again.Body).ID)

	_, err = payOnce(e, "pay-2")
	assert.ErrorIs(t, err, payrequest.ErrPaid)
	assert.Equal(t, int64(1_000), e.store.StoredWallet(payeeWID).BalanceMinor, "moved once")
	assert.Equal(t, payrequest.StatusPaid, e.store.Requests[requestID].Status)
}
