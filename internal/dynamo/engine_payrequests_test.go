//go:build integration

package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// TestPaymentRequestsOnTheEngine: a request's creation is once per id; a paying transfer
// takes the request in its creation's transaction, so a second payment is refused; the
// transfer's end settles or reopens it, once; a person's move is conditional.
func TestPaymentRequestsOnTheEngine(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Ledger{DB: db, Table: table}
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	open := func(id string, expires time.Time) payrequest.Request {
		return payrequest.Request{ID: id, PayeeID: "payee", ToEmail: "ann@example.com", AmountMinor: 700, Currency: "USD",
			Status: payrequest.StatusPending, RequestHash: "h", CreatedAt: now, UpdatedAt: now, ExpiresAt: expires, Version: 1}
	}
	r := open("r1", now.Add(time.Hour))
	stored, err := s.CreateRequest(ctx, r)
	require.NoError(t, err)
	assert.Nil(t, stored, "created")
	stored, err = s.CreateRequest(ctx, r)
	require.NoError(t, err)
	require.NotNil(t, stored, "the id is taken: the stored one")
	by, _, err := s.RequestsBy(ctx, "payee", 10, "")
	require.NoError(t, err)
	to, _, err := s.RequestsTo(ctx, "ann@example.com", 10, "")
	require.NoError(t, err)
	assert.Len(t, by, 1)
	assert.Len(t, to, 1)

	paying := func(id string) transfer.Transfer {
		return transfer.Transfer{ID: id, SourceWalletID: "w1", DestinationWalletID: "w2", SourceOwnerID: "payer", DestinationOwnerID: "payee",
			AmountMinor: 700, CaptureMinor: 700, Currency: "USD", Mode: transfer.ModeImmediate, Status: transfer.StatusPending,
			CreatedAt: now, UpdatedAt: now, Version: 1, RequestHash: id, RequestID: "r1"}
	}
	first := paying("t1")
	require.NoError(t, s.CreateTransfer(ctx, first))
	require.NoError(t, s.CreateTransfer(ctx, first), "the same creation sent again")
	assert.ErrorIs(t, s.CreateTransfer(ctx, paying("t2")), payrequest.ErrPaying, "a second payment")
	got, err := s.Request(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, payrequest.StatusPaying, got.Status)
	assert.Equal(t, "t1", got.TransferID)

	failed := first
	failed.Status, failed.Version = transfer.StatusFailed, 2
	require.NoError(t, s.CommitTransfer(ctx, transfer.Change{Before: &first, After: failed}))
	got, err = s.Request(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, payrequest.StatusPending, got.Status, "reopened")
	assert.Empty(t, got.TransferID)

	second := paying("t3")
	require.NoError(t, s.CreateTransfer(ctx, second))
	// Another transfer's end that names the request (a stale or mistaken settlement)
	// does not settle it: only the transfer it is PAYING by does.
	stranger := paying("t4")
	stranger.RequestID = ""
	require.NoError(t, s.CreateTransfer(ctx, stranger))
	strangerDone := stranger
	strangerDone.Status, strangerDone.Version, strangerDone.RequestID = transfer.StatusCompleted, 2, "r1"
	require.Error(t, s.CommitTransfer(ctx, transfer.Change{Before: &stranger, After: strangerDone}))
	got, err = s.Request(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, payrequest.StatusPaying, got.Status, "still paying, by its own transfer")
	assert.Equal(t, "t3", got.TransferID)
	done := second
	done.Status, done.Version = transfer.StatusCompleted, 2
	require.NoError(t, s.CommitTransfer(ctx, transfer.Change{Before: &second, After: done}))
	got, err = s.Request(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, payrequest.StatusPaid, got.Status)
	assert.Equal(t, "t3", got.TransferID)
	_, err = s.MoveRequest(ctx, got, payrequest.StatusDeclined, "payer", now)
	assert.ErrorIs(t, err, payrequest.ErrPaid, "a paid request is not declined")

	late := open("r2", now.Add(time.Millisecond))
	_, err = s.CreateRequest(ctx, late)
	require.NoError(t, err)
	_, err = s.MoveRequest(ctx, late, payrequest.StatusCancelled, "payee", now.Add(time.Second))
	assert.ErrorIs(t, err, payrequest.ErrExpired, "the condition checks the expiry")
	moved, err := s.MoveRequest(ctx, late, payrequest.StatusCancelled, "payee", now)
	require.NoError(t, err)
	assert.Equal(t, payrequest.StatusCancelled, moved.Status)
}
