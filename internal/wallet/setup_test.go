package wallet_test

import (
	"context"
	"time"

	"github.com/serverless-wallet/wallet/internal/idempotency/idemtest"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

func activeWallet(balance int64) ledger.Wallet {
	return ledger.Wallet{ID: walletID, OwnerID: owner, Currency: "USD", BalanceMinor: balance, Status: ledger.StatusActive, Version: 7}
}

func newService(ws ...ledger.Wallet) (*wallet.Service, *memstore.Store, *idemtest.Store) {
	store, idem := memstore.New(ws...), &idemtest.Store{}
	return wallet.NewService(store, idem, limits, func() time.Time { return fixedNow }), store, idem
}

// racingStore is a store whose first wallet creations lose a race (a concurrent write
// cancelled their transaction, so they wrote nothing).
type racingStore struct {
	*memstore.Store
	losses, calls int
}

func (s *racingStore) CreateWallet(ctx context.Context, w ledger.Wallet) error {
	s.calls++
	if s.losses > 0 {
		s.losses--
		return retry.ErrConflict
	}
	return s.Store.CreateWallet(ctx, w)
}
