package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

var _ user.Passwords = (*Users)(nil)

func passwordUpdate(hash string) (expression.Expression, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("password_hash"), expression.Value(hash))).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return expression.Expression{}, fmt.Errorf("build password update: %w", err)
	}
	return expr, nil
}

// SetPassword replaces the user's password hash; problem.ErrNotFound when there is no
// such user.
func (s *Users) SetPassword(ctx context.Context, userID, hash string) error {
	expr, err := passwordUpdate(hash)
	if err != nil {
		return err
	}
	_, err = updateAlone(ctx, s.DB, updateOf(s.Table, pkOnly(userKey(userID)), expr), ddbtypes.ReturnValueNone)
	if isConditionFailed(err) {
		return problem.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set password of %s: %w", userID, err)
	}
	return nil
}

// ResetPassword deletes the reset code c and replaces its user's password hash, in one
// transaction conditional on c still being stored: a code works once.
func (s *Users) ResetPassword(ctx context.Context, c user.Code, hash string) error {
	del, err := expression.NewBuilder().WithCondition(sameCode(c)).Build()
	if err != nil {
		return fmt.Errorf("build code use: %w", err)
	}
	set, err := passwordUpdate(hash)
	if err != nil {
		return err
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Delete: &ddbtypes.Delete{TableName: aws.String(s.Table), Key: pkOnly(codeKey(c.Purpose, c.UserID)),
		ConditionExpression: del.Condition(), ExpressionAttributeNames: del.Names(), ExpressionAttributeValues: del.Values()}},
		refuseWith(user.ErrInvalidCode))
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, pkOnly(userKey(c.UserID)), set)}, nil)
	return tx.commit(ctx, s.DB)
}
