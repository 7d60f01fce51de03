package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/admin"
	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

type wallets map[string][]ledger.Wallet

func (w wallets) WalletsOf(_ context.Context, ownerID string) ([]ledger.Wallet, error) {
	return w[ownerID], nil
}

type sessionList map[string][]user.SessionRecord

func (s sessionList) ListSessions(_ context.Context, userID, _ string) (user.SessionList, error) {
	return user.SessionList{Items: append([]user.SessionRecord{}, s[userID]...)}, nil
}

// trail keeps appended records; err fails the append.
type trail struct {
	records []*audit.Record
	err     error
}

func (t *trail) Append(_ context.Context, r *audit.Record) error {
	if t.err != nil {
		return t.err
	}
	t.records = append(t.records, r)
	return nil
}

func TestLookup(t *testing.T) {
	adminCaller := op.Caller{UserID: "u-grace", Role: auth.RoleAdmin, RequestID: "req-1"}
	adaWallet := ledger.Wallet{ID: "w-1", OwnerID: "u-ada", Currency: "USD", BalanceMinor: 500, HeldMinor: 100, Status: ledger.StatusActive}
	adaSession := user.SessionRecord{ID: "s_1", UserID: "u-ada", Device: "phone", RefreshHash: "secret-hash"}
	tests := []struct {
		name   string
		caller op.Caller
		email  string
		code   string // the refusal's problem code; "" for none
		// record is the audit record's target type ("" for none) and after-state
		record string
		target string
		after  string
	}{
		{name: "an account", caller: adminCaller, email: " Ada@Example.com", record: audit.TargetUser, target: "u-ada",
			after: `{"email":"ada@example.com","found":true,"wallets":1,"sessions":1}`},
		{name: "an unknown address is recorded, then 404", caller: adminCaller, email: "nobody@example.com", code: "user_not_found",
			record: audit.TargetEmail, target: "nobody@example.com", after: `{"email":"nobody@example.com","found":false,"wallets":0,"sessions":0}`},
		{name: "a user may not look up", caller: op.Caller{UserID: "u-ada", Role: auth.RoleUser}, email: "ada@example.com", code: "forbidden"},
		{name: "a malformed address", caller: adminCaller, email: "ada", code: "invalid_email"},
		{name: "no address", caller: adminCaller, email: "", code: "invalid_email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &trail{}
			l := &admin.Lookup{Accounts: newAccounts(ada, grace), Wallets: wallets{"u-ada": {adaWallet}},
				Sessions: sessionList{"u-ada": {adaSession}}, Trail: tr, Now: func() time.Time { return at }}
			got, err := l.ByEmail(context.Background(), tt.caller, tt.email)
			if tt.code != "" {
				var p *problem.Error
				require.ErrorAs(t, err, &p)
				assert.Equal(t, tt.code, p.Code)
				assert.Zero(t, got.User.ID, "a refusal shows nothing")
			} else {
				require.NoError(t, err)
				assert.Equal(t, ada, got.User)
				require.Len(t, got.Wallets, 1)
				assert.Equal(t, int64(400), got.Wallets[0].Available)
				require.Len(t, got.Sessions, 1)
				body, err := json.Marshal(got)
				require.NoError(t, err)
				assert.NotContains(t, string(body), "secret-hash", "no refresh hash in the answer")
				assert.NotContains(t, string(body), "password_hash")
			}
			if tt.record == "" {
				assert.Empty(t, tr.records, "no record")
				return
			}
			require.Len(t, tr.records, 1)
			r := tr.records[0]
			assert.Equal(t, audit.ActionLookup, r.Action)
			assert.Equal(t, "u-grace", r.ActorID, "who looked")
			assert.Equal(t, "req-1", r.RequestID)
			assert.Equal(t, tt.record, r.TargetType)
			assert.Equal(t, tt.target, r.TargetID, "whom")
			assert.JSONEq(t, tt.after, string(r.After))
			assert.JSONEq(t, `{"email":"`+strings.ToLower(strings.TrimSpace(tt.email))+`","found":false,"wallets":0,"sessions":0}`, string(r.Before),
				"before: the address asked for")
		})
	}
}

// TestALookupThatCannotBeRecordedIsNotAnswered: no answer without its audit record.
func TestALookupThatCannotBeRecordedIsNotAnswered(t *testing.T) {
	l := &admin.Lookup{Accounts: newAccounts(ada), Wallets: wallets{}, Sessions: sessionList{}, Trail: &trail{err: errors.New("throttled")}}
	got, err := l.ByEmail(context.Background(), op.Caller{UserID: "u-grace", Role: auth.RoleAdmin}, "ada@example.com")
	require.ErrorContains(t, err, "throttled")
	assert.Zero(t, got)
}
