package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

type breakerItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	transfer.BreakerState
	WriteID string `dynamodbav:"write_id,omitempty"` // names the save that wrote it (a save sent twice finds its own)
}

// LoadBreaker reads the breaker; a missing item is a closed breaker at version 0.
func (s *Ledger) LoadBreaker(ctx context.Context) (transfer.BreakerState, error) {
	var it breakerItem
	err := getItem(ctx, s.DB, s.Table, key(controlPK, breakerSK), &it)
	if errors.Is(err, problem.ErrNotFound) {
		return transfer.BreakerState{State: transfer.BreakerClosed}, nil
	}
	return it.BreakerState, err
}

// SaveBreaker writes next conditional on the version it was loaded at.
func (s *Ledger) SaveBreaker(ctx context.Context, next transfer.BreakerState) error {
	loaded := next.Version
	next.Version++
	writeID := uuid.NewString()
	item, err := attributevalue.MarshalMap(breakerItem{PK: controlPK, SK: breakerSK, BreakerState: next, WriteID: writeID})
	if err != nil {
		return fmt.Errorf("marshal breaker: %w", err)
	}
	cond := expression.AttributeNotExists(expression.Name("pk"))
	if loaded > 0 {
		cond = expression.Name("version").Equal(expression.Value(loaded))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build breaker condition: %w", err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if isConditionFailed(err) {
		// Refused: another save came first, or this one was sent twice (the SDK re-sends
		// a write whose answer it lost) and its first copy landed: then it holds.
		var now breakerItem
		if rerr := getItem(ctx, s.DB, s.Table, key(controlPK, breakerSK), &now); rerr == nil && now.WriteID == writeID {
			return nil
		}
		return retry.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("save breaker: %w", err)
	}
	return nil
}

// Fault reads the injected fault for a step from the CONTROL/FAULTS item, which only
// tests write (with the SDK); the functions read it only in deployments that enable
// fault injection.
func (s *Ledger) Fault(ctx context.Context, step string) (transfer.Fault, bool, error) {
	var it struct {
		Faults map[string]transfer.Fault `dynamodbav:"faults"`
	}
	err := getItem(ctx, s.DB, s.Table, key(controlPK, faultsSK), &it)
	if errors.Is(err, problem.ErrNotFound) {
		return transfer.Fault{}, false, nil
	}
	if err != nil {
		return transfer.Fault{}, false, err
	}
	f, ok := it.Faults[step]
	return f, ok, nil
}
