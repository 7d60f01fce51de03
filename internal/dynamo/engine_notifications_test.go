//go:build integration

// Adapter tests of the notifications against DynamoDB on the local engine (see
// engine_test.go).
package dynamo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/notification"
)

// TestUnreadIsCountedFromWhatIsStored: the unread count is what the stored items say,
// so marking one read twice lowers it once, read-all zeroes it for what came before and
// not after, and it stops at UnreadCountMax.
func TestUnreadIsCountedFromWhatIsStored(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Notifications{DB: db, Table: table}
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	add := func(user string, i int, when time.Time) string {
		e := event.Event{ID: fmt.Sprintf("e%d", i), Time: when}
		n := notification.Notification{ID: notification.IDFor(e, user), Fact: notification.FactOf(e, user), UserID: user,
			Type: "transfer.completed", Message: "m", CreatedAt: when}
		require.NoError(t, s.Add(ctx, n))
		return n.ID
	}
	unread := func(user string) int64 {
		_, _, n, err := s.List(ctx, user, 10, "")
		require.NoError(t, err)
		return n
	}
	first, _ := add("u", 1, at), add("u", 2, at.Add(time.Millisecond))
	require.Equal(t, int64(2), unread("u"))
	require.NoError(t, s.MarkRead(ctx, "u", first))
	require.NoError(t, s.MarkRead(ctx, "u", first))
	assert.Equal(t, int64(1), unread("u"), "a second mark changes nothing")

	require.NoError(t, s.MarkAllRead(ctx, "u", at.Add(time.Millisecond)))
	assert.Zero(t, unread("u"), "read-all covers the notification of its own millisecond")
	add("u", 3, at.Add(2*time.Millisecond))
	assert.Equal(t, int64(1), unread("u"), "a later one is unread")

	for i := range UnreadCountMax + 5 {
		add("many", 100+i, at.Add(time.Duration(i)*time.Millisecond))
	}
	assert.Equal(t, int64(UnreadCountMax), unread("many"), "counted up to the cap")
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
	items, _, unread, err := s.List(ctx, "u", 10, "")
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.EqualValues(t, 1, unread)
	assert.Equal(t, first.ID, items[0].ID, "the first stays")
	stored, err := s.Exists(ctx, later)
	require.NoError(t, err)
	assert.True(t, stored, "its fact is stored")
}
