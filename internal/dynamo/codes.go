package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/user"
)

var _ user.Codes = (*Users)(nil)

func codeKey(purpose, userID string) string { return "CODE#" + purpose + "#" + userID }

type codeItem struct {
	PK string `dynamodbav:"pk"`
	user.Code
	ExpiresAt int64 `dynamodbav:"expires_at"` // Unix seconds; the table's TTL attribute
}

func codeItemOf(c user.Code) codeItem {
	return codeItem{PK: codeKey(c.Purpose, c.UserID), Code: c, ExpiresAt: c.ExpiresAt.Unix()}
}

// Code reads the user's code for purpose.
func (s *Users) Code(ctx context.Context, userID, purpose string) (user.Code, error) {
	var it codeItem
	if err := getItem(ctx, s.DB, s.Table, pkOnly(codeKey(purpose, userID)), &it); err != nil {
		return user.Code{}, err
	}
	c := it.Code
	c.ExpiresAt = time.Unix(it.ExpiresAt, 0).UTC()
	return c, nil
}

// PutCode stores c in place of the user's earlier code for its purpose.
func (s *Users) PutCode(ctx context.Context, c user.Code) error {
	item, err := attributevalue.MarshalMap(codeItemOf(c))
	if err != nil {
		return fmt.Errorf("marshal code: %w", err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("put code %s: %w", codeKey(c.Purpose, c.UserID), err)
	}
	return nil
}

// sameCode is the condition that c is still the stored code.
func sameCode(c user.Code) expression.ConditionBuilder {
	return expression.Name("code_hash").Equal(expression.Value(c.Hash))
}

// SpendAttempt takes one attempt from c while it is stored with attempts left. A write
// the SDK sends again after a broken connection takes two: the safe direction (one
// attempt fewer), so it carries no attempt id.
func (s *Users) SpendAttempt(ctx context.Context, c user.Code) (bool, error) {
	left := expression.Name("attempts_left")
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Add(left, expression.Value(-1))).
		WithCondition(expression.And(sameCode(c), left.GreaterThan(expression.Value(0)))).Build()
	if err != nil {
		return false, fmt.Errorf("build code attempt: %w", err)
	}
	_, err = updateAlone(ctx, s.DB, updateOf(s.Table, pkOnly(codeKey(c.Purpose, c.UserID)), expr), ddbtypes.ReturnValueNone)
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("spend a code attempt: %w", err)
	}
	return true, nil
}

// MarkVerified deletes the verification code c and sets its user's email_verified, in
// one transaction conditional on c still being stored: a code works once.
func (s *Users) MarkVerified(ctx context.Context, c user.Code) error {
	del, err := expression.NewBuilder().WithCondition(sameCode(c)).Build()
	if err != nil {
		return fmt.Errorf("build code use: %w", err)
	}
	set, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("email_verified"), expression.Value(true))).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return fmt.Errorf("build verified: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Delete: &ddbtypes.Delete{TableName: aws.String(s.Table), Key: pkOnly(codeKey(c.Purpose, c.UserID)),
		ConditionExpression: del.Condition(), ExpressionAttributeNames: del.Names(), ExpressionAttributeValues: del.Values()}},
		refuseWith(user.ErrInvalidCode))
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, pkOnly(userKey(c.UserID)), set)}, nil)
	return tx.commit(ctx, s.DB)
}
