package dynamo

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

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
