// Package dynamo implements the domain stores on DynamoDB: conditional writes and
// transactions, with TransactionCanceledException reasons mapped to domain errors here.
package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// absentPut puts item on condition that no item has its key yet: how every record that
// is written once (a transfer, an entry, a notification, a claim) is created.
func absentPut(table string, item map[string]ddbtypes.AttributeValue) (*ddbtypes.Put, error) {
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	return &ddbtypes.Put{TableName: aws.String(table), Item: item,
		ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()}, nil
}

// putIfAbsent writes item alone (one conditional write, not a transaction) unless an
// item with its key exists, and then returns that item (nil when item was written). The
// existing item may be this very write: the SDK sends a write again when its first
// answer was lost, and the second attempt then finds the first's item.
func putIfAbsent(ctx context.Context, db API, table string, item map[string]ddbtypes.AttributeValue) (existing map[string]ddbtypes.AttributeValue, err error) {
	put, err := absentPut(table, item)
	if err != nil {
		return nil, err
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item,
		ConditionExpression: put.ConditionExpression, ExpressionAttributeNames: put.ExpressionAttributeNames,
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *ddbtypes.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil, nil
	case !errors.As(err, &ccf):
		return nil, err
	case len(ccf.Item) > 0:
		return ccf.Item, nil
	}
	// An engine that does not return the item with the refusal: read it.
	k := map[string]ddbtypes.AttributeValue{"pk": item["pk"]}
	if sk, ok := item["sk"]; ok {
		k["sk"] = sk
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read the existing item: %w", err)
	}
	if len(out.Item) == 0 { // deleted since: nothing of this is stored
		return nil, fmt.Errorf("put refused for an item that is gone: %w", retry.ErrConflict)
	}
	return out.Item, nil
}
