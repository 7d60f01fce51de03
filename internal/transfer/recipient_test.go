package transfer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// people is a fake address book: email → account.
type people map[string]transfer.RecipientAccount

func (p people) Recipient(_ context.Context, email, currency string) (transfer.RecipientAccount, error) {
	a := p[email]
	if a.Wallet.Currency != currency {
		a.Wallet = ledger.Wallet{}
	}
	return a, nil
}

// quota allows left lookups, then refuses.
type quota struct{ left, asked int }

func (q *quota) Allow(context.Context, string) (ratelimit.Decision, error) {
	q.asked++
	if q.left == 0 {
		return ratelimit.Decision{Allowed: false, Limit: 1, Reset: time.Minute}, nil
	}
	q.left--
	return ratelimit.Decision{Allowed: true, Limit: 1}, nil
}

func TestSendToAPerson(t *testing.T) {
	active := usdWallet(dstID, ownerB, 0)
	frozen := usdWallet(frozenID, ownerB, 0)
	frozen.Status = ledger.StatusFrozen
	book := people{
		"b@example.com":          {Found: true, Verified: true, Wallet: active},
		"unverified@example.com": {Found: true, Wallet: active},
		"nowallet@example.com":   {Found: true, Verified: true},
		"frozen@example.com":     {Found: true, Verified: true, Wallet: frozen},
	}
	to := func(email string) transfer.CreateInput {
		return transfer.CreateInput{SourceWalletID: srcID, Recipient: &transfer.Recipient{Email: email}, Amount: 1_000, Currency: "USD"}
	}
	tests := []struct {
		name     string
		in       transfer.CreateInput
		left     int
		wantCode string
		asked    int
	}{
		{name: "a verified person's active wallet", in: to("B@Example.com "), left: 1, asked: 1},
		{name: "unknown address", in: to("nobody@example.com"), left: 1, wantCode: "recipient_unavailable", asked: 1},
		{name: "unverified account", in: to("unverified@example.com"), left: 1, wantCode: "recipient_unavailable", asked: 1},
		{name: "no wallet in the currency", in: to("nowallet@example.com"), left: 1, wantCode: "recipient_unavailable", asked: 1},
		{name: "frozen wallet", in: to("frozen@example.com"), left: 1, wantCode: "recipient_unavailable", asked: 1},
		{name: "over the quota", in: to("b@example.com"), left: 0, wantCode: "rate_limited", asked: 1},
		{name: "malformed address, not counted", in: to("b@"), left: 1, wantCode: "invalid_email"},
		{name: "both destinations", in: func() transfer.CreateInput { in := to("b@example.com"); in.DestinationWalletID = dstID; return in }(),
			left: 1, wantCode: "invalid_destination"},
		{name: "neither", in: transfer.CreateInput{SourceWalletID: srcID, Amount: 1_000, Currency: "USD"}, left: 1, wantCode: "missing_field"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newServiceEnv(t)
			e.runner.steps = e.steps
			q := &quota{left: tt.left}
			e.svc.Recipients, e.svc.Lookups = book, q
			res, err := e.svc.Create(context.Background(), callerA, fmt.Sprint("key-", i), tt.in)
			assert.Equal(t, tt.asked, q.asked, "lookups counted")
			if tt.wantCode != "" {
				p, ok := problem.As(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, tt.wantCode, p.Code)
				assert.Equal(t, int64(0), e.store.StoredWallet(dstID).BalanceMinor)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, op.Created, res.Outcome, "%s", res.Body)
			assert.Equal(t, dstID, decodeView(t, res.Body).DestinationWalletID)
			assert.Equal(t, int64(1_000), e.store.StoredWallet(dstID).BalanceMinor)
		})
	}
}
