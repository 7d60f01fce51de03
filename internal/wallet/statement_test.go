package wallet_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/memstore"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// TestStatementRunningBalances: balances are computed when a statement is read, the
// cursor carries them across pages, and a cursor fits only its own wallet.
func TestStatementRunningBalances(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	ctx := context.Background()
	amounts := []int64{100, 250, 40, 7, 1_000}
	for i, a := range amounts {
		_, err := svc.Credit(ctx, ownerCaller, walletID, fmt.Sprintf("k-%d", i), wallet.CreditInput{Amount: money.Minor(a)})
		require.NoError(t, err)
	}
	var got []wallet.EntryView
	cursor := ""
	for page := 0; page < len(amounts); page++ {
		p, err := svc.Entries(ctx, ownerCaller, walletID, 2, cursor)
		require.NoError(t, err)
		got = append(got, p.Items...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	require.Len(t, got, len(amounts))
	var want int64
	for _, a := range amounts {
		want += a
	}
	for _, e := range got {
		assert.Equal(t, want, e.BalanceAfter, "entry %s", e.ID)
		want -= e.Amount
	}
	assert.Zero(t, want, "the oldest entry starts from zero")

	p, err := svc.Entries(ctx, ownerCaller, walletID, 2, "")
	require.NoError(t, err)
	require.NotNil(t, p.NextCursor)
	other := "0a000000-0000-4000-8000-000000000002"
	store.Wallets[other] = ledger.Wallet{ID: other, OwnerID: owner, Currency: "USD", Status: ledger.StatusActive}
	for name, c := range map[string]string{
		"another wallet's cursor": *p.NextCursor,
		"not base64":              "%%%",
		"forged shape":            base64.RawURLEncoding.EncodeToString([]byte("s2|" + other + "|x")),
	} {
		_, err := svc.Entries(ctx, ownerCaller, other, 2, c)
		assert.ErrorIs(t, err, op.ErrInvalidCursor, name)
	}
}

// TestStatementFirstPageRereadsWhenAPostingLands: a posting that lands between the
// first page's reads makes it read again, so balances match the entries shown.
func TestStatementFirstPageRereadsWhenAPostingLands(t *testing.T) {
	svc, store, _ := newService(activeWallet(0))
	ctx := context.Background()
	_, err := svc.Credit(ctx, ownerCaller, walletID, "k-1", wallet.CreditInput{Amount: 100})
	require.NoError(t, err)
	store.OnEntries = func(s *memstore.Store) {
		w := s.Wallets[walletID]
		w.BalanceMinor += 5 // a posting commits after the page was read …
		w.EntryCount++
		s.Wallets[walletID] = w
		s.Postings = append(s.Postings, ledger.Posting{ID: "late", Entries: []ledger.Entry{{ID: "late:0", PostingID: "late", Account: walletID,
			Currency: "USD", AmountMinor: 5, CreatedAt: fixedNow.Add(time.Second)}}})
	}
	p, err := svc.Entries(ctx, ownerCaller, walletID, 10, "")
	require.NoError(t, err)
	require.Len(t, p.Items, 2, "… so the page is read again and shows it")
	assert.Equal(t, int64(105), p.Items[0].BalanceAfter)
	assert.Equal(t, int64(100), p.Items[1].BalanceAfter)
}
