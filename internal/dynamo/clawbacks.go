package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/reward"
)

const clawbackSKPrefix = "CLAWBACK#"

// claimItem is a transfer's claim in the rewards table. A claim written before refunds
// existed has neither points nor refunded: its transfer earned (how much is unknown).
type claimItem struct {
	Points   *int64 `dynamodbav:"points"`
	Amount   int64  `dynamodbav:"amount"`
	Refunded *int64 `dynamodbav:"refunded"`
	Clawed   int64  `dynamodbav:"clawed"`
}

func (it claimItem) claim() reward.Claim {
	c := reward.Claim{Earned: it.Points != nil || it.Refunded == nil, AmountMinor: it.Amount, ClawedPoints: it.Clawed}
	if it.Points != nil {
		c.Points = *it.Points
	}
	if it.Refunded != nil {
		c.RefundedMinor = *it.Refunded
	}
	return c
}

func claimKey(userID, transferID string) map[string]ddbtypes.AttributeValue {
	return key(userPK(userID), earnedSKPrefix+"earn-"+transferID)
}

// Claim reads a transfer's claim; the zero Claim when there is none yet.
func (s *Rewards) Claim(ctx context.Context, userID, transferID string) (reward.Claim, error) {
	var it claimItem
	err := getItem(ctx, s.DB, s.Table, claimKey(userID, transferID), &it)
	if errors.Is(err, problem.ErrNotFound) {
		return reward.Claim{}, nil
	}
	if err != nil {
		return reward.Claim{}, err
	}
	return it.claim(), nil
}

// Points reads a points balance and the points owed on it; zeros when there is none.
func (s *Rewards) Points(ctx context.Context, userID, currency string) (int64, int64, error) {
	var it struct {
		Points int64 `dynamodbav:"points"`
		Owed   int64 `dynamodbav:"owed"`
	}
	err := getItem(ctx, s.DB, s.Table, key(userPK(userID), balanceSKPrefix+currency), &it)
	if errors.Is(err, problem.ErrNotFound) {
		return 0, 0, nil
	}
	return it.Points, it.Owed, err
}

// unrefunded is the condition that the claim's refunded total is still the one read.
func unrefunded(refundedMinor int64) expression.ConditionBuilder {
	refunded := expression.Name("refunded")
	if refundedMinor == 0 {
		return expression.AttributeNotExists(refunded)
	}
	return refunded.Equal(expression.Value(refundedMinor))
}

// Clawback writes a refund's take-back in one transaction, once per refund (its marker
// goes first: a refund taken back before is nothing to do): the claim's refunded total
// and clawed points (conditional on the claim as read, earned or not), the balance
// (which must hold what is taken) with the shortfall owed, and the history entry.
func (s *Rewards) Clawback(ctx context.Context, c reward.Clawback) error {
	marker, err := absentPut(s.Table, "clawback", map[string]string{"pk": userPK(c.UserID), "sk": clawbackSKPrefix + c.RefundID})
	if err != nil {
		return err
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: marker}, refuseWith(nil))
	upd := expression.Set(expression.Name("refunded"), expression.Value(c.RefundedMinor)).
		Set(expression.Name("clawed"), expression.Value(c.ClawedPoints))
	var cond expression.ConditionBuilder
	switch {
	case c.Claim.Earned:
		cond = expression.AttributeExists(expression.Name("pk")).And(unrefunded(c.Claim.RefundedMinor))
	case c.Claim.RefundedMinor == 0:
		cond = expression.AttributeNotExists(expression.Name("pk"))
	default: // refunded before the earn, which must still not have come
		cond = expression.AttributeNotExists(expression.Name("points")).And(unrefunded(c.Claim.RefundedMinor))
	}
	if err := tx.addUpdate(s.Table, claimKey(c.UserID, c.TransferID), upd, cond, conflict); err != nil {
		return err
	}
	if c.TakenPoints > 0 || c.OwedPoints > 0 {
		upd := expression.Add(expression.Name("points"), expression.Value(-c.TakenPoints)).
			Add(expression.Name("owed"), expression.Value(c.OwedPoints))
		enough := expression.Name("points").GreaterThanEqual(expression.Value(c.TakenPoints))
		if c.TakenPoints == 0 {
			enough = expression.AttributeNotExists(expression.Name("points")).Or(enough)
		}
		if c.OwedPoints > 0 { // it took all the points it read and owes the rest: still all there is
			enough = unchanged("points", c.TakenPoints)
		}
		if err := tx.addUpdate(s.Table, key(userPK(c.UserID), balanceSKPrefix+c.Currency), upd, enough, conflict); err != nil {
			return err
		}
	}
	if c.TakenPoints > 0 {
		put, err := s.historyPut(c.UserID, c.Entry)
		if err != nil {
			return err
		}
		tx.add(put, nil)
	}
	return tx.commit(ctx, s.DB)
}

// addUpdate adds an update of one item, with its condition (the zero ConditionBuilder:
// none), whose failure explain names; the failed item comes back with it.
func (tx *txn) addUpdate(table string, k map[string]ddbtypes.AttributeValue, upd expression.UpdateBuilder, cond expression.ConditionBuilder,
	explain func(map[string]ddbtypes.AttributeValue) error) error {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond.IsSet() {
		b = b.WithCondition(cond)
	}
	expr, err := b.Build()
	if err != nil {
		return fmt.Errorf("build update: %w", err)
	}
	u := updateOf(table, k, expr)
	u.ReturnValuesOnConditionCheckFailure = ddbtypes.ReturnValuesOnConditionCheckFailureAllOld
	tx.add(ddbtypes.TransactWriteItem{Update: u}, explain)
	return nil
}
