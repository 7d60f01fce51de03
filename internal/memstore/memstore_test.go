package memstore_test

import (
	"testing"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/transfer/transfertest"
	"github.com/serverless-wallet/wallet/internal/wallet/wallettest"
)

func usdWallet(id, owner string, balance int64) ledger.Wallet {
	return ledger.Wallet{ID: id, OwnerID: owner, Currency: "USD", BalanceMinor: balance, Status: ledger.StatusActive, Version: 3}
}

// TestConformsAsWalletStore: the store keeps the rules the DynamoDB store keeps for
// the wallet use cases (internal/dynamo runs the same suite on the local engine).
func TestConformsAsWalletStore(t *testing.T) {
	wallettest.Run(t, func(t *testing.T) wallettest.Fixture {
		w := usdWallet("0a000000-0000-4000-8000-000000000001", "user-a", 0)
		return wallettest.Fixture{Store: memstore.New(w), Wallet: w}
	})
}

// TestConformsAsTransferStore: likewise for the transfer saga.
func TestConformsAsTransferStore(t *testing.T) {
	transfertest.Run(t, func(t *testing.T) transfertest.Fixture {
		src := usdWallet("0a000000-0000-4000-8000-000000000001", "user-a", transfertest.FundedMinor)
		dst := usdWallet("0b000000-0000-4000-8000-000000000002", "user-b", 0)
		return transfertest.Fixture{Store: memstore.New(src, dst), Source: src, Destination: dst}
	})
}
