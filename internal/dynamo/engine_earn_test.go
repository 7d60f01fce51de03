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
	db, table := engineTable(t, true, rewardsIndex)
	r := &Rewards{DB: db, Table: table}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	standing := func(day string) reward.Standing {
		st, err := r.Standing(ctx, "u", "USD", day)
		require.NoError(t, err)
		return st
	}
	// earn writes an earn decided on seen, a standing read before it.
	earn := func(id, day string, seen reward.Standing, grant int64) error {
		return r.Earn(ctx, reward.Earning{UserID: "u", Day: day, Seen: seen, GrantPoints: grant,
			AmountMinor: grant * 100, Entry: reward.Entry{ID: "earn-" + id, Points: grant, Currency: "USD", Kind: reward.KindEarn, TransferID: id, CreatedAt: at}})
	}
	earned := func(day string) int64 { return standing(day).EarnedOnDay }
	first := standing("2026-05-01")
	require.NoError(t, earn("a", "2026-05-01", first, 100))
	assert.ErrorIs(t, earn("b", "2026-05-01", first, 10), retry.ErrConflict, "a count read before the first earn")
	second := standing("2026-05-01")
	require.NoError(t, earn("b", "2026-05-01", second, 10))
	require.NoError(t, earn("b", "2026-05-01", second, 10), "the same earn again is nothing to do")
	assert.Equal(t, int64(110), earned("2026-05-01"))

	require.NoError(t, earn("c", "2026-05-03", standing("2026-05-03"), 50))
	assert.Equal(t, []int64{110, 50}, []int64{earned("2026-05-01"), earned("2026-05-03")}, "the day left is kept")
	late := standing("2026-05-01")
	require.NoError(t, earn("d", "2026-05-01", late, 5), "a late event counts on its own day")
	assert.ErrorIs(t, earn("e", "2026-05-01", late, 5), retry.ErrConflict, "a late count read before another")
	require.NoError(t, earn("e", "2026-05-02", standing("2026-05-02"), 7))
	assert.Equal(t, []int64{115, 7, 50}, []int64{earned("2026-05-01"), earned("2026-05-02"), earned("2026-05-03")})

	// A day counted in its own item before the balance counted days.
	day, err := dayItem("u", "USD", "2026-05-04", 30)
	require.NoError(t, err)
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: day})
	require.NoError(t, err)
	assert.Equal(t, int64(30), earned("2026-05-04"))
	require.NoError(t, earn("f", "2026-05-04", standing("2026-05-04"), 3))
	require.NoError(t, earn("g", "2026-05-05", standing("2026-05-05"), 1))
	assert.Equal(t, []int64{33, 1}, []int64{earned("2026-05-04"), earned("2026-05-05")}, "taken over, then written out")

	// An earn decided on a balance that has moved on since: refused whichever day it is of.
	moved := standing("2026-05-05")
	require.NoError(t, earn("h", "2026-05-06", standing("2026-05-06"), 2))
	assert.ErrorIs(t, earn("i", "2026-05-05", moved, 4), retry.ErrConflict, "the day read has been left")
	assert.ErrorIs(t, earn("i", "2026-05-07", moved, 4), retry.ErrConflict, "the day to leave is no longer the one read")
	require.NoError(t, earn("i", "2026-05-05", standing("2026-05-05"), 4))
	assert.Equal(t, []int64{5, 2}, []int64{earned("2026-05-05"), earned("2026-05-06")})
	p, _, err := r.Points(ctx, "u", "USD")
	require.NoError(t, err)
	assert.Equal(t, int64(100+10+50+5+7+3+1+2+4), p)
}

func dayItem(user, currency, day string, points int64) (map[string]ddbtypes.AttributeValue, error) {
	return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: userPK(user)},
		"sk": &ddbtypes.AttributeValueMemberS{Value: daySK(currency, day)}, "points": &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(points)}}, nil
}

// TestRewardsDailyCapExactUnderConcurrency: transfers completed the same day, their
// events handled concurrently and each twice, earn exactly the daily cap between them.
func TestRewardsDailyCapExactUnderConcurrency(t *testing.T) {
	db, table := engineTable(t, true, rewardsIndex)
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
	st, err := r.Standing(ctx, "u", "USD", "2026-05-01")
	require.NoError(t, err)
	assert.Equal(t, []int64{100, 100}, []int64{p, st.EarnedOnDay}, "the cap, exactly, once per transfer")
}
