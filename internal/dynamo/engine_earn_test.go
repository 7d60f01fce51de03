//go:build integration

package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
)

// TestRewardsDayCountMovesWithTheBalance: the day's count lives on the balance for its
// latest day and in its own item for every earlier one, and is exact whichever way an
// earn comes: the same day again, a later day (the day left is written out), an earlier
// day late, a count read before another earn (a conflict), and a day counted in its own
// item before the balance counted days.
func TestRewardsDayCountMovesWithTheBalance(t *testing.T) {
	db, table := engineTable(t, true)
	r := &Rewards{DB: db, Table: table}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	earn := func(id, day string, before, grant int64) error {
		return r.Earn(ctx, reward.Earning{UserID: "u", Day: day, EarnedBefore: before, GrantPoints: grant, AmountMinor: grant * 100,
			Entry: reward.Entry{ID: "earn-" + id, Points: grant, Currency: "USD", Kind: reward.KindEarn, TransferID: id, CreatedAt: at}})
	}
	earned := func(day string) int64 {
		n, err := r.EarnedOn(ctx, "u", "USD", day)
		require.NoError(t, err)
		return n
	}
	require.NoError(t, earn("a", "2026-05-01", 0, 100))
	assert.ErrorIs(t, earn("b", "2026-05-01", 0, 10), retry.ErrConflict, "a count read before the first earn")
	require.NoError(t, earn("b", "2026-05-01", 100, 10))
	require.NoError(t, earn("b", "2026-05-01", 100, 10), "the same earn again is nothing to do")
	assert.Equal(t, int64(110), earned("2026-05-01"))

	require.NoError(t, earn("c", "2026-05-03", 0, 50))
	assert.Equal(t, []int64{110, 50}, []int64{earned("2026-05-01"), earned("2026-05-03")}, "the day left is kept")
	require.NoError(t, earn("d", "2026-05-01", 110, 5), "a late event counts on its own day")
	assert.ErrorIs(t, earn("e", "2026-05-01", 110, 5), retry.ErrConflict, "a late count read before another")
	require.NoError(t, earn("e", "2026-05-02", 0, 7))
	assert.Equal(t, []int64{115, 7, 50}, []int64{earned("2026-05-01"), earned("2026-05-02"), earned("2026-05-03")})

	// A day counted in its own item before the balance counted days.
	day, err := dayItem("u", "USD", "2026-05-04", 30)
	require.NoError(t, err)
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: day})
	require.NoError(t, err)
	assert.Equal(t, int64(30), earned("2026-05-04"))
	require.NoError(t, earn("f", "2026-05-04", 30, 3))
	require.NoError(t, earn("g", "2026-05-05", 0, 1))
	assert.Equal(t, []int64{33, 1}, []int64{earned("2026-05-04"), earned("2026-05-05")}, "taken over, then written out")
	p, _, err := r.Points(ctx, "u", "USD")
	require.NoError(t, err)
	assert.Equal(t, int64(100+10+50+5+7+3+1), p)
}

func dayItem(user, currency, day string, points int64) (map[string]ddbtypes.AttributeValue, error) {
	return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: userPK(user)},
		"sk": &ddbtypes.AttributeValueMemberS{Value: daySK(currency, day)}, "points": &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(points)}}, nil
}

// TestRewardsDailyCapExactUnderConcurrency: transfers completed the same day, their
// events handled concurrently and each twice, earn exactly the daily cap between them.
func TestRewardsDailyCapExactUnderConcurrency(t *testing.T) {
	db, table := engineTable(t, true)
	r := &Rewards{DB: db, Table: table}
	svc := &reward.Service{Store: r, PointsPerTransferMax: 1_000, PointsPerDayMax: 100}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 8 {
		e := event.Event{ID: fmt.Sprintf("transfer:t%d:completed", i), Type: event.TransferCompleted, Time: at.Add(time.Duration(i) * time.Minute),
			Payload: event.Payload{TransferID: fmt.Sprintf("t%d", i), AmountMinor: 3_000, Currency: "USD", SourceOwnerID: "u", DestinationOwnerID: "v"}}
		for range 2 {
			wg.Go(func() {
				for { // contention is redelivered, as the queue would
					err := svc.Handle(ctx, e)
					if !errors.Is(err, retry.ErrContention) {
						assert.NoError(t, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	p, _, err := r.Points(ctx, "u", "USD")
	require.NoError(t, err)
	n, err := r.EarnedOn(ctx, "u", "USD", "2026-05-01")
	require.NoError(t, err)
	assert.Equal(t, []int64{100, 100}, []int64{p, n}, "the cap, exactly, once per transfer")
}
