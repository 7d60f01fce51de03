//go:build integration

// Adapter tests of the notifications against DynamoDB on the local engine (see
// engine_test.go).
package dynamo

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// notificationsTable is a notifications table as template.yaml makes it: pk, sk and the
// index by time.
func notificationsTable(t *testing.T) (*Notifications, context.Context) {
	t.Helper()
	db, table := engineTable(t, true, map[string]string{NotificationsByTime: "at"})
	return &Notifications{DB: db, Table: table}, context.Background()
}

// TestUnreadIsCountedFromWhatIsStored: the unread count is what the stored items say,
// so marking one read twice lowers it once, read-all zeroes it for what came before and
// not after, and it stops at UnreadCountMax.
func TestUnreadIsCountedFromWhatIsStored(t *testing.T) {
	s, ctx := notificationsTable(t)
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
	s, ctx := notificationsTable(t)
	at := time.Now().UTC().Truncate(time.Millisecond)
	e := event.Event{ID: "transfer:t1:completed", Time: at}
	first := notification.Notification{ID: notification.IDFor(e, "u"), Fact: notification.FactOf(e, "u"), UserID: "u",
		Type: "transfer.completed", Message: "m", CreatedAt: at}
	e.Time = at.Add(time.Hour)
	later := first
	later.ID, later.CreatedAt = notification.IDFor(e, "u"), e.Time
	require.NotEqual(t, first.ID, later.ID)
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

// TestANotificationOnceUnderConcurrentDeliveries: the same event's notification added by
// many consumers at once (a redelivery racing the first delivery) is stored once.
func TestANotificationOnceUnderConcurrentDeliveries(t *testing.T) {
	s, ctx := notificationsTable(t)
	e := event.Event{ID: "transfer:t1:completed", Time: time.Now().UTC().Truncate(time.Millisecond)}
	n := notification.Notification{ID: notification.IDFor(e, "u"), Fact: notification.FactOf(e, "u"), UserID: "u",
		Type: "transfer.completed", Message: "m", CreatedAt: e.Time}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { assert.NoError(t, s.Add(ctx, n)) })
	}
	wg.Wait()
	items, next, unread, err := s.List(ctx, "u", 10, "")
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Empty(t, next)
	assert.EqualValues(t, 1, unread)
}

// TestNotificationsPageNewestFirst: the index orders a user's notifications by time
// (their keys are their facts, in no time order), pages resume after the cursor, another
// user's are not listed, and an id that is not the fact's stored one names nothing.
func TestNotificationsPageNewestFirst(t *testing.T) {
	s, ctx := notificationsTable(t)
	at := time.Now().UTC().Truncate(time.Millisecond)
	var ids []string
	for i := range 5 {
		e := event.Event{ID: fmt.Sprintf("credit:p%d", i), Time: at.Add(time.Duration(i) * time.Second)}
		for _, user := range []string{"u", "other"} {
			n := notification.Notification{ID: notification.IDFor(e, user), Fact: notification.FactOf(e, user), UserID: user,
				Type: "credit.completed", Message: fmt.Sprint(i), CreatedAt: e.Time}
			require.NoError(t, s.Add(ctx, n))
			if user == "u" {
				ids = append([]string{n.ID}, ids...)
			}
		}
	}
	var got []string
	cursor := ""
	for range 4 {
		items, next, unread, err := s.List(ctx, "u", 2, cursor)
		require.NoError(t, err)
		assert.EqualValues(t, 5, unread)
		for _, n := range items {
			got = append(got, n.ID)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	assert.Equal(t, ids, got, "newest first, each once, only the user's")
	for _, c := range []string{"bm90LWFuLWlk!", base64.RawURLEncoding.EncodeToString([]byte("USER#someone-else"))} {
		_, _, _, err := s.List(ctx, "u", 2, c)
		require.ErrorIs(t, err, op.ErrInvalidCursor, "cursor %q", c)
	}

	e := event.Event{ID: "credit:p0", Time: at.Add(time.Hour)}
	assert.ErrorIs(t, s.MarkRead(ctx, "u", notification.IDFor(e, "u")), problem.ErrNotFound, "the fact's, at another time")
	assert.ErrorIs(t, s.MarkRead(ctx, "u", "no-such"), problem.ErrNotFound)
	require.NoError(t, s.MarkRead(ctx, "u", ids[0]))
	_, _, unread, err := s.List(ctx, "u", 2, "")
	require.NoError(t, err)
	assert.EqualValues(t, 4, unread)
}
