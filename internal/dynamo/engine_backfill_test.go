//go:build integration

package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/reward"
)

// TestBackfillListsOldHistoryLinesOnce: lines written before the history was an index
// (H# items without h) are listed once backfilled, with their own points; a second run
// moves nothing, and a line written since (an earn's claim) is neither moved nor doubled.
func TestBackfillListsOldHistoryLinesOnce(t *testing.T) {
	db, table := engineTable(t, true, rewardsIndex)
	r := &Rewards{DB: db, Table: table}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	old := []reward.Entry{
		{ID: "earn-t1", Points: 100, Currency: "USD", Kind: reward.KindEarn, TransferID: "t1", CreatedAt: at},
		{ID: "redeem-r1", Points: -100, Currency: "USD", Kind: reward.KindRedeem, WalletID: "w1", CreatedAt: at.Add(time.Minute)},
	}
	for _, e := range old { // as the history was written before: its own item, no index key
		item, err := attributevalue.MarshalMap(map[string]any{"pk": userPK("u"), "sk": historySK(e), "id": e.ID, "points": e.Points,
			"currency": e.Currency, "kind": e.Kind, "transfer_id": e.TransferID, "wallet_id": e.WalletID, "created_at": e.CreatedAt})
		require.NoError(t, err)
		_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
		require.NoError(t, err)
	}
	newer := reward.Entry{ID: "earn-t2", Points: 7, Currency: "USD", Kind: reward.KindEarn, TransferID: "t2", CreatedAt: at.Add(time.Hour)}
	require.NoError(t, r.Earn(ctx, reward.Earning{UserID: "u", Day: "2026-05-01", GrantPoints: 7, AmountMinor: 700, Entry: newer}))

	items, _, _, err := r.History(ctx, "u", 10, "")
	require.NoError(t, err)
	assert.Equal(t, []reward.Entry{newer}, items, "before the backfill only the newer line is listed")

	moved, err := r.BackfillHistory(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, moved)
	moved, err = r.BackfillHistory(ctx)
	require.NoError(t, err)
	assert.Zero(t, moved, "a second run moves nothing")

	items, _, _, err = r.History(ctx, "u", 10, "")
	require.NoError(t, err)
	for i := range items {
		items[i].CreatedAt = items[i].CreatedAt.UTC()
	}
	assert.Equal(t, []reward.Entry{newer, old[1], old[0]}, items, "every line once, newest first, with its own points")
}
