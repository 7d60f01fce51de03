//go:build integration

package dynamo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// TestCreateWalletRefusals: each failed condition of the wallet-creation transaction is
// named by the engine's cancellation reasons, in a fixed order when several fail at once,
// and a refused creation writes nothing.
func TestCreateWalletRefusals(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	newWallet := func(owner, currency string) ledger.Wallet {
		return ledger.Wallet{ID: uuid.NewString(), OwnerID: owner, Currency: currency, Status: ledger.StatusActive,
			Version: 1, CreatedAt: at, UpdatedAt: at}
	}
	tests := map[string]struct {
		before int    // wallets the owner has, in currencies C0, C1, …
		again  string // the new wallet's currency
		want   error
	}{
		"a currency the owner has":                          {before: 1, again: "C0", want: wallet.ErrWalletExists},
		"one wallet too many":                               {before: wallet.WalletsPerOwnerMax, again: "NEW", want: wallet.ErrWalletLimit},
		"both at once: the currency claim is checked first": {before: wallet.WalletsPerOwnerMax, again: "C0", want: wallet.ErrWalletExists},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			db, table := engineTable(t, true)
			s := &Ledger{DB: db, Table: table}
			ctx := context.Background()
			for i := range tt.before {
				require.NoError(t, s.CreateWallet(ctx, newWallet("owner", fmt.Sprintf("C%d", i))))
			}
			refused := newWallet("owner", tt.again)
			require.ErrorIs(t, s.CreateWallet(ctx, refused), tt.want)
			_, err := s.Wallet(ctx, refused.ID)
			assert.ErrorIs(t, err, problem.ErrNotFound, "a refused creation writes no wallet")
			require.NoError(t, s.CreateWallet(ctx, newWallet("someone else", tt.again)), "another owner is not refused")
		})
	}
}

func TestCreateUserTakenEmail(t *testing.T) {
	db, table := engineTable(t, false)
	s := &Users{DB: db, Table: table}
	ctx := context.Background()
	first := user.User{ID: uuid.NewString(), Email: "a@example.com", Name: "A", Role: "user", CreatedAt: time.Now().UTC()}
	require.NoError(t, s.Create(ctx, first))

	second := first
	second.ID = uuid.NewString()
	require.ErrorIs(t, s.Create(ctx, second), user.ErrEmailTaken)
	_, err := s.ByID(ctx, second.ID)
	assert.ErrorIs(t, err, problem.ErrNotFound, "the refused user is not written")
	got, err := s.ByEmail(ctx, first.Email)
	require.NoError(t, err)
	assert.Equal(t, first.ID, got.ID, "the email stays with its first owner")
}

// TestMarkReadOnce: marking a notification read twice lowers the unread count once; the
// second transaction is cancelled by its condition and that is not an error.
func TestMarkReadOnce(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Notifications{DB: db, Table: table}
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range []string{"n1", "n2"} {
		require.NoError(t, s.Add(ctx, notification.Notification{ID: id, UserID: "u", Type: "transfer.completed", Message: "m", CreatedAt: at}))
	}
	unread := func() int64 {
		_, _, n, err := s.List(ctx, "u", 10, "")
		require.NoError(t, err)
		return n
	}
	require.Equal(t, int64(2), unread())
	require.NoError(t, s.MarkRead(ctx, "u", "n1"))
	require.NoError(t, s.MarkRead(ctx, "u", "n1"))
	assert.Equal(t, int64(1), unread())
}
