// Package dynamo implements the domain stores on DynamoDB: conditional writes and
// transactions, with TransactionCanceledException reasons mapped to domain errors here.
package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// API is the part of the DynamoDB client the stores call.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// isConditionFailed reports whether a single-item write was refused by its condition.
func isConditionFailed(err error) bool {
	var ccf *ddbtypes.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// absentPut puts v (marshalled; what names it in errors) on condition that no item has
// its key yet: how every record that is written once (a transfer, an entry, a
// notification, a claim) is created.
func absentPut(table, what string, v any) (*ddbtypes.Put, error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", what, err)
	}
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &ddbtypes.Put{TableName: aws.String(table), Item: item,
		ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()}, nil
}

// updateOf is the change expr makes to the item at k, as a transaction item holds it;
// updateAlone sends the same change as one UpdateItem.
func updateOf(table string, k map[string]ddbtypes.AttributeValue, expr expression.Expression) *ddbtypes.Update {
	return &ddbtypes.Update{TableName: aws.String(table), Key: k, UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}
}

// updateAlone sends u as one UpdateItem (a single write, not a transaction), returning
// the attributes rv asks for.
func updateAlone(ctx context.Context, db API, u *ddbtypes.Update, rv ddbtypes.ReturnValue) (*dynamodb.UpdateItemOutput, error) {
	return db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames,
		ExpressionAttributeValues: u.ExpressionAttributeValues, ReturnValues: rv,
		ReturnValuesOnConditionCheckFailure: u.ReturnValuesOnConditionCheckFailure})
}

// putIfAbsent writes v, a kind of item (what, for errors), alone (one conditional write,
// not a transaction) unless an item with its key exists, and then returns that item (nil
// when v was written). The existing item may be this very write: the SDK sends a write
// again when its first answer was lost, and the second attempt then finds the first's.
func putIfAbsent[T any](ctx context.Context, db API, table, what string, v T) (existing *T, err error) {
	put, err := absentPut(table, what, v)
	if err != nil {
		return nil, err
	}
	item := put.Item
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item,
		ConditionExpression: put.ConditionExpression, ExpressionAttributeNames: put.ExpressionAttributeNames,
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld})
	if err == nil {
		return nil, nil
	}
	k := map[string]ddbtypes.AttributeValue{"pk": item["pk"]}
	if sk, ok := item["sk"]; ok {
		k["sk"] = sk
	}
	stored, _, err := refusedBy(ctx, db, table, k, err)
	switch {
	case err != nil:
		return nil, fmt.Errorf("put %s: %w", what, err)
	case len(stored) == 0: // deleted since: nothing of this is stored
		return nil, fmt.Errorf("put %s refused for an item that is gone: %w", what, retry.ErrConflict)
	}
	existing = new(T)
	if err := attributevalue.UnmarshalMap(stored, existing); err != nil {
		return nil, fmt.Errorf("unmarshal %s: %w", what, err)
	}
	return existing, nil
}

// refusedBy tells whether err is a conditional write's refusal and, if so, returns the
// item that refused it: the one DynamoDB sends back with the refusal (the write asks
// for it with ReturnValuesOnConditionCheckFailure ALL_OLD), or the item at k read back
// for an engine that sends none (empty when it is gone). Any other error is returned
// as it is.
func refusedBy(ctx context.Context, db API, table string, k map[string]ddbtypes.AttributeValue, err error) (map[string]ddbtypes.AttributeValue, bool, error) {
	var ccf *ddbtypes.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, false, err
	}
	if len(ccf.Item) > 0 {
		return ccf.Item, true, nil
	}
	out, gerr := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: k, ConsistentRead: aws.Bool(true)})
	if gerr != nil {
		return nil, true, fmt.Errorf("read the item that refused a write: %w", gerr)
	}
	return out.Item, true, nil
}
