package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/reward"
)

// The points a user earned on a day, in one currency, are counted on the points balance
// for the latest day anything was earned (its day and day_points), so an earn writes the
// balance and its count as one item. Any earlier day's count is its own item, DAY#: the
// earn that moves the balance to a later day writes the day it leaves there (the count
// of a day is only ever on the balance or, once the balance has moved on, in its DAY#
// item), and an earn whose event is of an earlier day (a late delivery) adds to that
// day's item. A DAY# item of the balance's day or a later one is one written before the
// count moved to the balance: its points were earned that day, and the balance takes
// them over when it moves to that day.
type balanceDay struct {
	Day    string `dynamodbav:"day"`
	Earned int64  `dynamodbav:"day_points"`
	Owed   int64  `dynamodbav:"owed"`
}

func (s *Rewards) balanceKey(userID, currency string) map[string]ddbtypes.AttributeValue {
	return key(userPK(userID), balanceSKPrefix+currency)
}

// balanceDay reads the day the balance counts and its count; zeros when there is none.
func (s *Rewards) balanceDay(ctx context.Context, userID, currency string) (balanceDay, error) {
	var b balanceDay
	err := getItem(ctx, s.DB, s.Table, s.balanceKey(userID, currency), &b)
	if errors.Is(err, problem.ErrNotFound) {
		return balanceDay{}, nil
	}
	return b, err
}

// Standing reads what an earn on day decides on, in one read of the points balance (and
// one of the day's own item when the balance counts another day): the points earned on
// day, the points owed and the day the balance counts with its count.
func (s *Rewards) Standing(ctx context.Context, userID, currency, day string) (reward.Standing, error) {
	b, err := s.balanceDay(ctx, userID, currency)
	if err != nil {
		return reward.Standing{}, err
	}
	st := reward.Standing{Owed: b.Owed, Counted: reward.DayCount{Day: b.Day, Points: b.Earned}}
	if b.Day == day {
		st.EarnedOnDay = b.Earned
		return st, nil
	}
	var it struct {
		Points int64 `dynamodbav:"points"`
	}
	err = getItem(ctx, s.DB, s.Table, key(userPK(userID), daySK(currency, day)), &it)
	if errors.Is(err, problem.ErrNotFound) {
		return st, nil
	}
	st.EarnedOnDay = it.Points
	return st, err
}

// Earn writes a transfer's earn in one transaction: its claim (only once: a claim that
// earned already means the event was handled, and nothing is written; a refund recorded
// in between is a conflict; the claim is also the earn's line of the history), and the balance (less the owed points
// it repays, which must still be owed) with the day's count (still Seen.EarnedOnDay); an
// earn that moves the balance to a later day writes the day it leaves to its own item,
// and one of an earlier day adds to that day's item.
func (s *Rewards) Earn(ctx context.Context, e reward.Earning) error {
	upd := expression.Set(expression.Name("points"), expression.Value(e.GrantPoints)).
		Set(expression.Name("amount"), expression.Value(e.AmountMinor)).
		Set(expression.Name("clawed"), expression.Value(e.ClawedPoints))
	if e.Entry.Points != 0 { // the claim is the earn's line of the history (which has no zero lines)
		upd = historyLine(e.Entry, upd)
	}
	cond := expression.AttributeNotExists(expression.Name("pk"))
	if e.Claim.RefundedMinor > 0 {
		cond = expression.AttributeNotExists(expression.Name("points")).And(unrefunded(e.Claim.RefundedMinor))
	}
	var tx txn
	if err := tx.addUpdate(s.Table, claimKey(e.UserID, e.Entry.TransferID), upd, cond, func(old map[string]ddbtypes.AttributeValue) error {
		var it claimItem
		if err := attributevalue.UnmarshalMap(old, &it); err != nil {
			return fmt.Errorf("unmarshal claim: %w", err)
		}
		if len(old) > 0 && it.claim().Earned {
			return nil // earned before: nothing to do
		}
		return retry.ErrConflict
	}); err != nil {
		return err
	}
	bal := expression.Add(expression.Name("points"), expression.Value(e.Entry.Points))
	var conds []expression.ConditionBuilder
	if e.RepaidPoints > 0 {
		bal = bal.Add(expression.Name("owed"), expression.Value(-e.RepaidPoints))
		conds = append(conds, expression.Name("owed").GreaterThanEqual(expression.Value(e.RepaidPoints)))
	}
	if e.GrantPoints > e.ClawedPoints { // what it repays was decided on the owed points read: still those
		conds = append(conds, unchanged("owed", e.Seen.Owed))
	}
	if e.GrantPoints > 0 {
		var err error
		if bal, conds, err = s.countDay(&tx, e, bal, conds); err != nil {
			return err
		}
	}
	if e.Entry.Points != 0 || e.RepaidPoints != 0 || len(conds) > 0 {
		if err := tx.addUpdate(s.Table, s.balanceKey(e.UserID, e.Entry.Currency), bal, all(conds), conflict); err != nil {
			return err
		}
	}
	return tx.commit(ctx, s.DB)
}

// countDay adds the grant to the day's count: on the balance (bal and conds, its update)
// when the balance counts that day or an earlier one (then the day it leaves goes to
// its own item), in the day's own item when the balance counts a later day. Either way
// on condition that the count is still Seen.EarnedOnDay and the balance's day the one read
// (e.Seen.Counted: the earn was decided on that read, and writes only if it still holds).
func (s *Rewards) countDay(tx *txn, e reward.Earning, bal expression.UpdateBuilder,
	conds []expression.ConditionBuilder) (expression.UpdateBuilder, []expression.ConditionBuilder, error) {
	b := balanceDay{Day: e.Seen.Counted.Day, Earned: e.Seen.Counted.Points}
	day, earned := expression.Name("day"), expression.Name("day_points")
	switch {
	case b.Day == e.Day: // (a count that moved since Seen.EarnedOnDay was read fails the condition)
		return bal.Add(earned, expression.Value(e.GrantPoints)),
			append(conds, day.Equal(expression.Value(e.Day)), earned.Equal(expression.Value(e.Seen.EarnedOnDay))), nil
	case b.Day < e.Day: // the balance moves on to e's day ("" sorts first: it counted none)
		bal = bal.Set(day, expression.Value(e.Day)).Set(earned, expression.Value(e.Seen.EarnedOnDay+e.GrantPoints))
		if b.Day == "" {
			return bal, append(conds, expression.AttributeNotExists(day)), nil
		}
		left, err := attributevalue.MarshalMap(map[string]any{"pk": userPK(e.UserID), "sk": daySK(e.Entry.Currency, b.Day), "points": b.Earned})
		if err != nil {
			return bal, conds, fmt.Errorf("marshal day count: %w", err)
		}
		tx.add(ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: left}}, nil)
		return bal, append(conds, day.Equal(expression.Value(b.Day)), earned.Equal(expression.Value(b.Earned))), nil
	}
	// A late event: its day's count is in the day's own item, which only late events
	// change now.
	points := expression.Name("points")
	unchanged := points.Equal(expression.Value(e.Seen.EarnedOnDay))
	if e.Seen.EarnedOnDay == 0 {
		unchanged = expression.Or(expression.AttributeNotExists(points), unchanged)
	}
	count, err := addTo(s.Table, key(userPK(e.UserID), daySK(e.Entry.Currency, e.Day)), "points", e.GrantPoints, &unchanged)
	if err != nil {
		return bal, conds, err
	}
	tx.add(count, conflict) // another earn counted on the same day first
	return bal, append(conds, expression.Name("day").GreaterThan(expression.Value(e.Day))), nil
}

// unchanged is the condition that a counter attribute still holds the value read (0: it
// may also be absent).
func unchanged(name string, read int64) expression.ConditionBuilder {
	same := expression.Name(name).Equal(expression.Value(read))
	if read == 0 {
		return expression.Or(expression.AttributeNotExists(expression.Name(name)), same)
	}
	return same
}

// all is the conjunction of conds (the zero ConditionBuilder, none, when there are none).
func all(conds []expression.ConditionBuilder) expression.ConditionBuilder {
	switch len(conds) {
	case 0:
		return expression.ConditionBuilder{}
	case 1:
		return conds[0]
	}
	return expression.And(conds[0], conds[1], conds[2:]...)
}
