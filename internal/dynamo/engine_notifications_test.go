//go:build integration

// Adapter tests of the notifications against DynamoDB on the local engine (see
// engine_test.go).
package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/notification"
)

// TestMarkReadOnce: marking a notification read twice lowers the unread count once; the
// second transaction is cancelled by its condition and that is not an error.
func TestMarkReadOnce(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Notifications{DB: db, Table: table}
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	for _, id := range []string{"n1", "n2"} {
		require.NoError(t, s.Add(ctx, notification.Notification{ID: id, Fact: "fact-" + id, UserID: "u", Type: "transfer.completed", Message: "m", CreatedAt: at}))
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

// TestANotificationOncePerFact: a second event about the same fact, at another time (so
// under another time-ordered id), stores nothing and counts nothing.
func TestANotificationOncePerFact(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Notifications{DB: db, Table: table}
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	first := notification.Notification{ID: "0001-f", Fact: "f", UserID: "u", Type: "transfer.completed", Message: "m", CreatedAt: at}
	later := first
	later.ID, later.CreatedAt = "0002-f", at.Add(time.Hour)
	for _, n := range []notification.Notification{first, first, later} {
		require.NoError(t, s.Add(ctx, n))
	}
	// The unread count is a hint raised outside the transaction (see Notifications): an
	// SDK re-send of its ADD can raise it twice, so only the stored items are the fact.
	items, _, _, err := s.List(ctx, "u", 10, "")
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, first.ID, items[0].ID, "the first stays")
	stored, err := s.Exists(ctx, later)
	require.NoError(t, err)
	assert.True(t, stored, "its fact is stored")
}
