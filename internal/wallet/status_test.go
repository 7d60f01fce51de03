package wallet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

func withStatus(w ledger.Wallet, st ledger.Status) ledger.Wallet {
	w.Status = st
	return w
}

func TestChangeStatus(t *testing.T) {
	strangerCaller := op.Caller{UserID: stranger}
	adminOwner := op.Caller{UserID: owner, Role: adminCaller.Role}
	const why = "support ticket 42"
	tests := map[string]struct {
		wallet     ledger.Wallet
		caller     op.Caller
		to         ledger.Status
		reason     string
		wantKind   problem.Kind // 0: accepted
		wantCode   string
		wantStatus ledger.Status
		wantCommit bool
	}{
		"owner freezes": {wallet: activeWallet(0), caller: ownerCaller, to: ledger.StatusFrozen,
			wantKind: problem.KindForbidden, wantCode: "forbidden"},
		"owner unfreezes": {wallet: withStatus(activeWallet(0), ledger.StatusFrozen), caller: ownerCaller, to: ledger.StatusActive,
			wantKind: problem.KindForbidden, wantCode: "forbidden"},
		"admin closes": {wallet: activeWallet(0), caller: adminCaller, to: ledger.StatusClosed,
			wantKind: problem.KindForbidden, wantCode: "forbidden"},
		"owner closes a wallet with money": {wallet: activeWallet(1), caller: ownerCaller, to: ledger.StatusClosed,
			wantKind: problem.KindUnprocessable, wantCode: "wallet_not_empty"},
		"owner closes a wallet with a hold": {wallet: func() ledger.Wallet { w := activeWallet(50); w.HeldMinor = 50; return w }(),
			caller: ownerCaller, to: ledger.StatusClosed, wantKind: problem.KindUnprocessable, wantCode: "wallet_not_empty"},
		"owner closes a frozen wallet": {wallet: withStatus(activeWallet(0), ledger.StatusFrozen), caller: ownerCaller, to: ledger.StatusClosed,
			wantKind: problem.KindUnprocessable, wantCode: "wallet_not_active"},
		"stranger freezes": {wallet: activeWallet(0), caller: strangerCaller, to: ledger.StatusFrozen,
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"stranger closes": {wallet: activeWallet(0), caller: strangerCaller, to: ledger.StatusClosed,
			wantKind: problem.KindNotFound, wantCode: "not_found"},
		"reopen a closed wallet": {wallet: withStatus(activeWallet(0), ledger.StatusClosed), caller: adminCaller, to: ledger.StatusActive, reason: why,
			wantKind: problem.KindUnprocessable, wantCode: "wallet_closed"},
		"unknown status": {wallet: activeWallet(0), caller: adminCaller, to: "PAUSED", reason: why,
			wantKind: problem.KindInvalid, wantCode: "invalid_status"},
		"admin freezes without a reason": {wallet: activeWallet(500), caller: adminCaller, to: ledger.StatusFrozen,
			wantKind: problem.KindInvalid, wantCode: "reason_required"},
		"admin unfreezes without a reason": {wallet: withStatus(activeWallet(500), ledger.StatusFrozen), caller: adminCaller, to: ledger.StatusActive,
			wantKind: problem.KindInvalid, wantCode: "reason_required"},
		"admin freezes their own wallet": {wallet: activeWallet(500), caller: adminOwner, to: ledger.StatusFrozen, reason: why,
			wantKind: problem.KindForbidden, wantCode: "four_eyes"},
		"admin unfreezes their own wallet": {wallet: withStatus(activeWallet(500), ledger.StatusFrozen), caller: adminOwner, to: ledger.StatusActive, reason: why,
			wantKind: problem.KindForbidden, wantCode: "four_eyes"},
		"admin closes their own empty wallet": {wallet: activeWallet(0), caller: adminOwner, to: ledger.StatusClosed,
			wantStatus: ledger.StatusClosed, wantCommit: true},
		"admin freezes": {wallet: activeWallet(500), caller: adminCaller, to: ledger.StatusFrozen, reason: why,
			wantStatus: ledger.StatusFrozen, wantCommit: true},
		"admin unfreezes": {wallet: withStatus(activeWallet(500), ledger.StatusFrozen), caller: adminCaller, to: ledger.StatusActive, reason: why,
			wantStatus: ledger.StatusActive, wantCommit: true},
		"owner closes an empty wallet": {wallet: activeWallet(0), caller: ownerCaller, to: ledger.StatusClosed,
			wantStatus: ledger.StatusClosed, wantCommit: true},
		"admin freezes a frozen wallet": {wallet: withStatus(activeWallet(0), ledger.StatusFrozen), caller: adminCaller, to: ledger.StatusFrozen, reason: why,
			wantStatus: ledger.StatusFrozen},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			svc, store, _ := newService(tt.wallet)

			v, err := svc.ChangeStatus(context.Background(), tt.caller, walletID, wallet.PatchInput{Status: string(tt.to), Reason: tt.reason})
			if tt.wantCode != "" {
				p, ok := problem.As(err)
				require.True(t, ok, "err = %v", err)
				assert.Equal(t, tt.wantKind, p.Kind)
				assert.Equal(t, tt.wantCode, p.Code)
				assert.Zero(t, store.Writes)
				assert.Equal(t, tt.wallet, store.StoredWallet(walletID))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, string(tt.wantStatus), v.Status)
			assert.Equal(t, tt.wantStatus, store.StoredWallet(walletID).Status)
			if tt.wantCommit {
				assert.Equal(t, 1, store.Writes)
				assert.Equal(t, tt.wallet.Version+1, store.StoredWallet(walletID).Version)
			} else {
				assert.Zero(t, store.Writes, "no change, no write")
			}
		})
	}
}

func TestChangeStatusMalformedIDTouchesNothing(t *testing.T) {
	for _, id := range []string{"", "not-a-uuid", strings.ToUpper(walletID), walletID + "x", "../" + walletID} {
		t.Run(id, func(t *testing.T) {
			svc, store, _ := newService(activeWallet(0))
			_, err := svc.ChangeStatus(context.Background(), adminCaller, id, wallet.PatchInput{Status: string(ledger.StatusFrozen), Reason: "r"})
			assert.ErrorIs(t, err, problem.ErrNotFound)
			assert.Zero(t, store.Reads, "refused before any read")
			assert.Zero(t, store.Writes)
		})
	}
}

func TestChangeStatusRetriesAConflict(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	store.BeforeWrite = append(store.BeforeWrite, func(s *memstore.Store) error {
		w := s.Wallets[walletID]
		w.Version++ // another status change landed meanwhile (an unfreeze of nothing, say)
		s.Wallets[walletID] = w
		return nil
	})

	v, err := svc.ChangeStatus(context.Background(), adminCaller, walletID, wallet.PatchInput{Status: string(ledger.StatusFrozen), Reason: "r"})
	require.NoError(t, err)
	assert.Equal(t, 2, store.Writes)
	assert.Equal(t, string(ledger.StatusFrozen), v.Status)
}

// TestCloseRefusedWhenMoneyArrivesMeanwhile: a credit that lands between the close's
// read (balance 0) and its write keeps the wallet open.
func TestCloseRefusedWhenMoneyArrivesMeanwhile(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	store.BeforeWrite = append(store.BeforeWrite, func(s *memstore.Store) error {
		w := s.Wallets[walletID]
		w.BalanceMinor = 30 // money changes do not move the version
		s.Wallets[walletID] = w
		return nil
	})

	_, err := svc.ChangeStatus(context.Background(), ownerCaller, walletID, wallet.PatchInput{Status: string(ledger.StatusClosed)})
	assert.ErrorIs(t, err, ledger.ErrWalletNotEmpty)
	assert.Equal(t, ledger.StatusActive, store.StoredWallet(walletID).Status)
	assert.Equal(t, int64(30), store.StoredWallet(walletID).BalanceMinor)
}
