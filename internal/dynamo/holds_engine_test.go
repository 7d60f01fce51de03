//go:build integration

package dynamo

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

// heldTransfer creates a transfer and commits it HELD, which puts its entry in the
// expiring-holds index.
func heldTransfer(t *testing.T, s *Ledger, id string, expires time.Time) transfer.Transfer {
	t.Helper()
	ctx := context.Background()
	at := expires.Add(-time.Hour)
	tr := transfer.Transfer{ID: id, SourceWalletID: "w-src", DestinationWalletID: "w-dst", SourceOwnerID: "user-a",
		DestinationOwnerID: "user-b", AmountMinor: 100, CaptureMinor: 100, Currency: "USD", Mode: transfer.ModeHold,
		Status: transfer.StatusPending, CreatedAt: at, UpdatedAt: at, ExpiresAt: expires, Version: 1}
	require.NoError(t, s.CreateTransfer(ctx, tr))
	held := tr
	held.Status, held.Version, held.Reserved = transfer.StatusHeld, 2, true
	require.NoError(t, s.CommitTransfer(ctx, transfer.Change{Before: &tr, After: held}))
	return held
}

// TestExpiredHoldsWalksEveryBucket: holds spread over the index's buckets by their ids
// are all listed once, oldest first within a page, however small the pages; holds not
// yet expired are not; a hold whose entry is gone (captured, voided, forgotten) is not.
func TestExpiredHoldsWalksEveryBucket(t *testing.T) {
	db, table := engineTable(t, true)
	s := &Ledger{DB: db, Table: table}
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	const expired = HoldBuckets + HoldBuckets/2
	buckets := map[string]bool{}
	var want []string
	var forgotten, released transfer.Transfer
	for i := range expired {
		h := heldTransfer(t, s, fmt.Sprintf("tr-expired-%02d", i), now.Add(-time.Duration(expired-i)*time.Minute))
		buckets[holdPK(h.ID)] = true
		switch i {
		case 7:
			forgotten = h
		case 11:
			released = h
		default:
			want = append(want, h.ID)
		}
	}
	voided := released
	voided.Status, voided.Version = transfer.StatusReleased, released.Version+1
	require.NoError(t, s.CommitTransfer(ctx, transfer.Change{Before: &released, After: voided}), "leaving HELD deletes the entry in its bucket")
	require.NoError(t, s.ForgetHold(ctx, forgotten))
	require.NoError(t, s.ForgetHold(ctx, forgotten), "forgetting twice changes nothing")
	heldTransfer(t, s, "tr-later", now.Add(time.Minute))
	assert.Greater(t, len(buckets), HoldBuckets/2, "the ids spread over the buckets")

	for _, limit := range []int{1, 10, 100} {
		t.Run(fmt.Sprintf("pages of %d", limit), func(t *testing.T) {
			var got []string
			after := ""
			for page := 0; ; page++ {
				require.Less(t, page, expired+HoldBuckets+2, "the walk ends")
				ids, next, err := s.ExpiredHolds(ctx, now, limit, after)
				require.NoError(t, err)
				assert.LessOrEqual(t, len(ids), (limit+HoldBuckets-1)/HoldBuckets*HoldBuckets, "a page reads a share of the limit from each bucket")
				assert.True(t, sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] < ids[j] }), "oldest first: %v", ids)
				got = append(got, ids...)
				if next == "" {
					break
				}
				after = next
			}
			assert.ElementsMatch(t, want, got)
		})
	}
	_, _, err := s.ExpiredHolds(ctx, now, 10, "not|a|position")
	assert.Error(t, err, "a position of another index shape is refused")
}
