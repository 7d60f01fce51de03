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
	"github.com/google/uuid"

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

// lockoutAttemptsMax bounds AddFailure's loop: an ended window is restarted at most
// this many times before the call gives up.
const lockoutAttemptsMax = 3

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
	LastAttempt string `dynamodbav:"last_attempt,omitempty"` // the AddFailure call that counted last
}

// lockOf reads an account's lock-out item (consistently); the zero value when there is none.
func (s *Limits) lockOf(ctx context.Context, key string) (lockItem, error) {
	var it lockItem
	err := getItem(ctx, s.DB, s.Table, pkOnly(key), &it)
	if errors.Is(err, problem.ErrNotFound) {
		return lockItem{}, nil
	}
	return it, err
}

// LockState reads an account's lock-out state; the zero value when there is none.
func (s *Limits) LockState(ctx context.Context, key string) (ratelimit.LockState, error) {
	it, err := s.lockOf(ctx, key)
	if err != nil {
		return ratelimit.LockState{}, err
	}
	st := ratelimit.LockState{Failures: it.Failures}
	if it.LockedUntil > 0 {
		st.LockedUntil = time.Unix(it.LockedUntil, 0)
	}
	return st, nil
}

// AddFailure counts a failure in the stored window while it lasts (one conditional
// ADD); once it has ended, the item is replaced by a new window holding this failure,
// on condition that it is still the ended one, so two racing restarts count both.
//
// Each call writes its own attempt id with the count and refuses to count that id
// twice: the SDK sends a write again when a connection breaks after DynamoDB applied it
// ("connection reset", "use of closed network connection"), and without the id that
// retry would count one failure as two and lock an account early. When a condition
// fails, a consistent read tells an attempt already counted from a window to restart.
func (s *Limits) AddFailure(ctx context.Context, key string, now, windowEnds time.Time) (int64, error) {
	attempt := uuid.NewString()
	ends, last := expression.Name("window_ends"), expression.Name("last_attempt")
	notCounted := expression.Or(expression.AttributeNotExists(last), last.NotEqual(expression.Value(attempt)))
	add, err := expression.NewBuilder().
		WithUpdate(expression.Add(expression.Name("failures"), expression.Value(1)).
			Set(ends, expression.IfNotExists(ends, unix(windowEnds))).
			Set(expression.Name("expires_at"), expression.IfNotExists(expression.Name("expires_at"), unix(windowEnds))).
			Set(last, expression.Value(attempt))).
		WithCondition(expression.And(
			expression.Or(expression.AttributeNotExists(expression.Name("pk")), ends.GreaterThan(unix(now))),
			notCounted)).
		Build()
	if err != nil {
		return 0, fmt.Errorf("build failure count: %w", err)
	}
	restart, err := expression.NewBuilder().WithCondition(expression.And(ends.LessThanEqual(unix(now)), notCounted)).Build()
	if err != nil {
		return 0, fmt.Errorf("build window restart: %w", err)
	}
	fresh, err := attributevalue.MarshalMap(lockItem{PK: key, Failures: 1, WindowEnds: windowEnds.Unix(), ExpiresAt: windowEnds.Unix(), LastAttempt: attempt})
	if err != nil {
		return 0, fmt.Errorf("marshal lock-out: %w", err)
	}
	for range lockoutAttemptsMax {
		out, err := updateAlone(ctx, s.DB, updateOf(s.Table, pkOnly(key), add), ddbtypes.ReturnValueUpdatedNew)
		if err == nil {
			var got struct {
				Failures int64 `dynamodbav:"failures"`
			}
			if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
				return 0, fmt.Errorf("unmarshal failures: %w", err)
			}
			return got.Failures, nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("count failure %s: %w", key, err)
		}
		if n, counted, err := s.countedBy(ctx, key, attempt); err != nil || counted {
			return n, err
		}
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.Table), Item: fresh,
			ConditionExpression: restart.Condition(), ExpressionAttributeNames: restart.Names(),
			ExpressionAttributeValues: restart.Values(),
		})
		if err == nil {
			return 1, nil
		}
		if !isConditionFailed(err) {
			return 0, fmt.Errorf("restart failure window %s: %w", key, err)
		}
		if n, counted, err := s.countedBy(ctx, key, attempt); err != nil || counted {
			return n, err
		}
	}
	return 0, ratelimit.ErrLockoutContention
}

// countedBy reports whether the stored window already holds attempt (a write of this
// call that the SDK sent twice), with its failure count.
func (s *Limits) countedBy(ctx context.Context, key, attempt string) (int64, bool, error) {
	it, err := s.lockOf(ctx, key)
	if err != nil {
		return 0, false, err
	}
	return it.Failures, it.LastAttempt == attempt, nil
}

// LockUntil sets the lock and keeps the item (and its failure count) until keep.
func (s *Limits) LockUntil(ctx context.Context, key string, until, keep time.Time) error {
	expr, err := expression.NewBuilder().WithUpdate(
		expression.Set(expression.Name("locked_until"), unix(until)).
			Set(expression.Name("window_ends"), unix(keep)).
			Set(expression.Name("expires_at"), unix(keep))).Build()
	if err != nil {
		return fmt.Errorf("build lock: %w", err)
	}
	_, err = updateAlone(ctx, s.DB, updateOf(s.Table, pkOnly(key), expr), ddbtypes.ReturnValueNone)
	if err != nil {
		return fmt.Errorf("lock %s until %s: %w", key, until.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// Clear deletes an account's lock-out state.
func (s *Limits) Clear(ctx context.Context, key string) error {
	if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: pkOnly(key)}); err != nil {
		return fmt.Errorf("clear %s: %w", key, err)
	}
	return nil
}
