// Package dynamo implements the domain stores on DynamoDB: conditional writes and
// transactions, with TransactionCanceledException reasons mapped to domain errors here.
package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
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

// newestPageOf is newestPage with each item decoded as an I (what names it in errors)
// and turned into a T by conv.
func newestPageOf[I, T any](ctx context.Context, db API, table, what, pk, prefix string, limit int, cursor string, conv func(I) T) ([]T, string, error) {
	items, next, err := newestPage(ctx, db, table, pk, prefix, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(items))
	for _, item := range items {
		var it I
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, "", fmt.Errorf("unmarshal %s: %w", what, err)
		}
		out = append(out, conv(it))
	}
	return out, next, nil
}

// newestPage queries one partition's items whose sort key starts with prefix ("": all), newest
// (highest sort key) first, resuming after the opaque cursor. The next cursor encodes
// the last returned sort key, so items added meanwhile never shift a page.
func newestPage(ctx context.Context, db API, table, pk, prefix string, limit int, cursor string) ([]map[string]ddbtypes.AttributeValue, string, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk))
	if prefix != "" { // DynamoDB refuses begins_with an empty string
		kc = kc.And(expression.Key("sk").BeginsWith(prefix))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false),
		Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)} // #nosec G115 -- callers bound limit to a page size
	if cursor != "" {
		sk, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !strings.HasPrefix(string(sk), prefix) {
			return nil, "", op.ErrInvalidCursor
		}
		in.ExclusiveStartKey = key(pk, string(sk))
	}
	out, err := db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query %s: %w", pk, err)
	}
	next := ""
	if n := len(out.Items); n > 0 && len(out.LastEvaluatedKey) > 0 {
		if sk, ok := out.Items[n-1]["sk"].(*ddbtypes.AttributeValueMemberS); ok {
			next = base64.RawURLEncoding.EncodeToString([]byte(sk.Value))
		}
	}
	return out.Items, next, nil
}

// getItem reads one item with a strongly consistent read; problem.ErrNotFound when absent.
func getItem(ctx context.Context, db API, table string, k map[string]ddbtypes.AttributeValue, out any) error {
	res, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get %v: %w", keyString(k), err)
	}
	if len(res.Item) == 0 {
		return problem.ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("unmarshal %v: %w", keyString(k), err)
	}
	return nil
}

// pkOnly is the key of an item in a table keyed by pk alone.
func pkOnly(pk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}
}

func keyString(k map[string]ddbtypes.AttributeValue) string {
	var parts []string
	for _, name := range []string{"pk", "sk"} {
		if v, ok := k[name].(*ddbtypes.AttributeValueMemberS); ok {
			parts = append(parts, v.Value)
		}
	}
	return strings.Join(parts, "/")
}

// addTo is an update that adds delta to a numeric attribute, optionally conditional.
func addTo(table string, k map[string]ddbtypes.AttributeValue, attr string, delta int64, cond *expression.ConditionBuilder) (ddbtypes.TransactWriteItem, error) {
	b := expression.NewBuilder().WithUpdate(expression.Add(expression.Name(attr), expression.Value(delta)))
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	expr, err := b.Build()
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("build %s update: %w", attr, err)
	}
	return ddbtypes.TransactWriteItem{Update: updateOf(table, k, expr)}, nil
}
