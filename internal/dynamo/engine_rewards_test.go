//go:build integration

package dynamo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
)

// TestRewardsClawbackOncePerRefund: a refund's take-back is written once, conditional on
// the claim as read and on the balance holding what it takes; a shortfall is owed and
// the next earn repays it (on condition it is still owed).
func TestRewardsClawbackOncePerRefund(t *testing.T) {
	db, table := engineTable(t, true, rewardsIndex)
	r := &Rewards{DB: db, Table: table}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	require.NoError(t, r.Earn(ctx, reward.Earning{UserID: "u", Day: "2026-05-01", GrantPoints: 100, AmountMinor: 10_000,
		Entry: reward.Entry{ID: "earn-paid", Points: 100, Currency: "USD", Kind: reward.KindEarn, TransferID: "paid", CreatedAt: at}}))
	spend(t, db, table, "u", 40) // redeemed since: the balance holds 60 of the 100 the refund takes back
	claim, err := r.Claim(ctx, "u", "paid")
	require.NoError(t, err)
	back := reward.Clawback{UserID: "u", RefundID: "refund-1", TransferID: "paid", Currency: "USD", Claim: claim, RefundedMinor: 10_000,
		ClawedPoints: 100, TakenPoints: 60, OwedPoints: 40,
		Entry: reward.Entry{ID: "clawback-refund-1", Points: -60, Currency: "USD", Kind: reward.KindClawback, TransferID: "refund-1", CreatedAt: at}}
	stale := back
	stale.Claim.RefundedMinor = 500
	assert.ErrorIs(t, r.Clawback(ctx, stale), retry.ErrConflict, "a claim read before another refund is stale")
	greedy := back
	greedy.TakenPoints = 101
	assert.ErrorIs(t, r.Clawback(ctx, greedy), retry.ErrConflict, "the balance must hold what is taken")
	require.NoError(t, r.Clawback(ctx, back))
	require.NoError(t, r.Clawback(ctx, back), "the same refund again is nothing to do")
	p, owed, err := r.Points(ctx, "u", "USD")
	require.NoError(t, err)
	assert.Equal(t, []int64{0, 40}, []int64{p, owed})
	claim, err = r.Claim(ctx, "u", "paid")
	require.NoError(t, err)
	assert.Equal(t, reward.Claim{Earned: true, Points: 100, AmountMinor: 10_000, RefundedMinor: 10_000, ClawedPoints: 100}, claim)

	next := reward.Earning{UserID: "u", Day: "2026-05-01", Seen: reward.Standing{EarnedOnDay: 100, Counted: reward.DayCount{Day: "2026-05-01", Points: 100}, Owed: 40}, GrantPoints: 50, AmountMinor: 5_000, RepaidPoints: 41,
		Entry: reward.Entry{ID: "earn-next", Points: 9, Currency: "USD", Kind: reward.KindEarn, TransferID: "next", CreatedAt: at}}
	assert.ErrorIs(t, r.Earn(ctx, next), retry.ErrConflict, "more than is owed cannot be repaid")
	next.RepaidPoints, next.Entry.Points = 40, 10
	require.NoError(t, r.Earn(ctx, next))
	p, owed, err = r.Points(ctx, "u", "USD")
	require.NoError(t, err)
	assert.Equal(t, []int64{10, 0}, []int64{p, owed})

	// A refund recorded before its transfer's earn: the earn must see it.
	early := reward.Clawback{UserID: "u", RefundID: "refund-early", TransferID: "late", Currency: "USD", RefundedMinor: 2_500}
	require.NoError(t, r.Clawback(ctx, early))
	claim, err = r.Claim(ctx, "u", "late")
	require.NoError(t, err)
	assert.Equal(t, reward.Claim{RefundedMinor: 2_500}, claim, "refunded, not earned")
	blind := reward.Earning{UserID: "u", Day: "2026-05-02", Seen: reward.Standing{Counted: reward.DayCount{Day: "2026-05-01", Points: 150}}, GrantPoints: 100, AmountMinor: 10_000,
		Entry: reward.Entry{ID: "earn-late", Points: 100, Currency: "USD", Kind: reward.KindEarn, TransferID: "late", CreatedAt: at}}
	assert.ErrorIs(t, r.Earn(ctx, blind), retry.ErrConflict, "an earn that did not see the refund")
	blind.Claim, blind.ClawedPoints, blind.Entry.Points = claim, 25, 75
	require.NoError(t, r.Earn(ctx, blind))
	p, _, err = r.Points(ctx, "u", "USD")
	require.NoError(t, err)
	assert.Equal(t, int64(85), p)

	items, _, _, err := r.History(ctx, "u", 10, "")
	require.NoError(t, err)
	shown := map[string]int64{}
	for _, e := range items {
		shown[e.ID] = e.Points
	}
	assert.Equal(t, map[string]int64{"earn-paid": 100, "clawback-refund-1": -60, "earn-next": 10, "earn-late": 75}, shown,
		"each line shows what it moved: an earn what it added (not its grant), a clawback what it took")
}

// spend takes points off a balance as a redemption would.
func spend(t *testing.T, db *dynamodb.Client, table, user string, points int64) {
	t.Helper()
	_, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(table),
		Key:              key(userPK(user), balanceSKPrefix+"USD"),
		UpdateExpression: aws.String("ADD points :n"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":n": &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(-points)}}})
	require.NoError(t, err)
}

// TestRewardsOwedPointsRaceNoEarn: what a clawback could not take is owed, and the next
// earn repays it before the balance grows, whichever commits first: an earn decided on
// the owed points before a clawback added to them is refused, and so is a clawback that
// owes, decided on a balance an earn has raised since.
func TestRewardsOwedPointsRaceNoEarn(t *testing.T) {
	db, table := engineTable(t, true, rewardsIndex)
	r := &Rewards{DB: db, Table: table}
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	earn := func(id string, grant int64, seen reward.Standing) reward.Earning {
		repaid := min(grant, seen.Owed)
		return reward.Earning{UserID: "u", Day: "2026-05-01", Seen: seen,
			GrantPoints: grant, AmountMinor: grant * 100, RepaidPoints: repaid,
			Entry: reward.Entry{ID: "earn-" + id, Points: grant - repaid, Currency: "USD", Kind: reward.KindEarn, TransferID: id, CreatedAt: at}}
	}
	standing := func() reward.Standing {
		st, err := r.Standing(ctx, "u", "USD", "2026-05-01")
		require.NoError(t, err)
		return st
	}
	require.NoError(t, r.Earn(ctx, earn("a", 10, standing())))
	claim, err := r.Claim(ctx, "u", "a")
	require.NoError(t, err)
	// The refund of a takes back 15 points where the balance holds 10: 10 taken, 5 owed.
	back := reward.Clawback{UserID: "u", RefundID: "refund-a", TransferID: "a", Currency: "USD", Claim: claim, RefundedMinor: 1_000,
		ClawedPoints: 15, TakenPoints: 10, OwedPoints: 5,
		Entry: reward.Entry{ID: "clawback-refund-a", Points: -10, Currency: "USD", Kind: reward.KindClawback, TransferID: "refund-a", CreatedAt: at}}

	require.NoError(t, r.Earn(ctx, earn("b", 20, standing())), "an earn commits first")
	assert.ErrorIs(t, r.Clawback(ctx, back), retry.ErrConflict, "the clawback owes on a balance that has grown since")

	staleEarn := earn("c", 7, standing())
	spend(t, db, table, "u", 20) // the balance is back to 10, as when the clawback was decided
	require.NoError(t, r.Clawback(ctx, back), "the clawback commits first")
	assert.ErrorIs(t, r.Earn(ctx, staleEarn), retry.ErrConflict, "the earn was decided before the points were owed")
	require.NoError(t, r.Earn(ctx, earn("c", 7, standing())))
	p, owed, err := r.Points(ctx, "u", "USD")
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 0}, []int64{p, owed}, "the next earn repaid the 5 owed first")
}
