package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/ratelimit"
)

// Limits stores request counters and login lock-out state in one table keyed by pk,
// whose items DynamoDB's TTL removes after expires_at (Unix seconds).
type Limits struct {
	DB    API
	Table string
}

var (
	_ ratelimit.Counter   = (*Limits)(nil)
	_ ratelimit.LockStore = (*Limits)(nil)
)

func unix(t time.Time) expression.ValueBuilder { return expression.Value(t.Unix()) }

// Hit adds one hit unless the item already holds limit: one conditional write, counted
// or refused.
func (s *Limits) Hit(ctx context.Context, key string, limit int64, expiresAt time.Time) (int64, bool, error) {
	hits := expression.Name("hits")
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Add(hits, expression.Value(1)).
			Set(expression.Name("expires_at"), unix(expiresAt))).
		WithCondition(expression.Or(expression.AttributeNotExists(hits), hits.LessThan(expression.Value(limit)))).
		Build()
	if err != nil {
		return 0, false, fmt.Errorf("build hit: %w", err)
	}
	out, err := updateAlone(ctx, s.DB, updateOf(s.Table, pkOnly(key), expr), ddbtypes.ReturnValueUpdatedNew)
	if isConditionFailed(err) {
		return limit, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("hit %s: %w", key, err)
	}
	var got struct {
		Hits int64 `dynamodbav:"hits"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
		return 0, false, fmt.Errorf("unmarshal hits: %w", err)
	}
	return got.Hits, true, nil
}

type lockItem struct {
	PK          string `dynamodbav:"pk"`
	Failures    int64  `dynamodbav:"failures"`
	WindowEnds  int64  `dynamodbav:"window_ends"`
	LockedUntil int64  `dynamodbav:"locked_until,omitempty"`
	ExpiresAt   int64  `dynamodbav:"expires_at"`
	Version     string `dynamodbav:"version"` // the Swap that wrote it
}

// LockState reads an account's lock-out state (consistently); the zero value when there
// is none.
func (s *Limits) LockState(ctx context.Context, key string) (ratelimit.LockState, error) {
	var it lockItem
	err := getItem(ctx, s.DB, s.Table, pkOnly(key), &it)
	if errors.Is(err, problem.ErrNotFound) {
		return ratelimit.LockState{}, nil
	}
	if err != nil {
		return ratelimit.LockState{}, err
	}
	st := ratelimit.LockState{Failures: it.Failures, WindowEnds: time.Unix(it.WindowEnds, 0), Version: it.Version}
	if it.LockedUntil > 0 {
		st.LockedUntil = time.Unix(it.LockedUntil, 0)
	}
	return st, nil
}

// stillVersion is the condition that the stored item is the one version wrote (absent
// when version is empty).
func stillVersion(version string) expression.ConditionBuilder {
	if version == "" {
		return expression.AttributeNotExists(expression.Name("pk"))
	}
	return expression.Name("version").Equal(expression.Value(version))
}

// Swap replaces the stored state with next in one conditional put, on condition that it
// is still prev. The SDK sends a put again when a connection breaks after DynamoDB
// applied it; that second put fails its condition, so a failed condition is checked
// with a consistent read: the stored state being next's own version means it held.
func (s *Limits) Swap(ctx context.Context, key string, prev, next ratelimit.LockState) (bool, error) {
	it := lockItem{PK: key, Failures: next.Failures, WindowEnds: next.WindowEnds.Unix(), ExpiresAt: next.WindowEnds.Unix(), Version: next.Version}
	if !next.LockedUntil.IsZero() {
		it.LockedUntil = next.LockedUntil.Unix()
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return false, fmt.Errorf("marshal lock-out: %w", err)
	}
	cond, err := expression.NewBuilder().WithCondition(stillVersion(prev.Version)).Build()
	if err != nil {
		return false, fmt.Errorf("build lock-out swap: %w", err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table), Item: item,
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
		ExpressionAttributeValues: cond.Values(),
	})
	if err == nil {
		return true, nil
	}
	if !isConditionFailed(err) {
		return false, fmt.Errorf("swap lock-out %s: %w", key, err)
	}
	now, err := s.LockState(ctx, key)
	if err != nil {
		return false, err
	}
	return now.Version == next.Version, nil
}

// Release deletes an account's lock-out state if it is still the one version wrote.
func (s *Limits) Release(ctx context.Context, key, version string) error {
	cond, err := expression.NewBuilder().WithCondition(stillVersion(version)).Build()
	if err != nil {
		return fmt.Errorf("build lock-out release: %w", err)
	}
	_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.Table), Key: pkOnly(key),
		ConditionExpression: cond.Condition(), ExpressionAttributeNames: cond.Names(),
		ExpressionAttributeValues: cond.Values(),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release %s: %w", key, err)
	}
	return nil
}
