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

	"github.com/serverless-wallet/wallet/internal/idempotency"
)

// Idempotency keeps idempotency records in their own table, keyed by pk =
// <user id>#<key>, with expires_at as the table's TTL attribute.
type Idempotency struct {
	DB    API
	Table string
}

var _ idempotency.Store = (*Idempotency)(nil)

type idemItem struct {
	PK              string `dynamodbav:"pk"`
	UserID          string `dynamodbav:"user_id"`
	RequestHash     string `dynamodbav:"request_hash"`
	Status          string `dynamodbav:"status"`
	Token           string `dynamodbav:"token,omitempty"`
	InProgressUntil int64  `dynamodbav:"in_progress_until"`
	ExpiresAt       int64  `dynamodbav:"expires_at"`
	ResponseOutcome string `dynamodbav:"response_outcome,omitempty"`
	ResponseBody    string `dynamodbav:"response_body,omitempty"`
	// ResponseStatus is how records written before outcomes were stored hold it: an
	// HTTP status. It is only read (see outcome); records live RecordTTLSeconds.
	ResponseStatus int `dynamodbav:"response_status,omitempty"`
}

// outcome is the record's stored outcome, or the one its older HTTP status stood for.
func (it idemItem) outcome() string {
	if it.ResponseOutcome != "" {
		return it.ResponseOutcome
	}
	return map[int]string{200: "done", 201: "created", 202: "accepted"}[it.ResponseStatus]
}

func idemKey(c idempotency.Claim) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: c.UserID + "#" + c.Key}}
}

// Begin puts an in-progress record unless a live one exists: the put succeeds when
// the key is new, when its record has expired (TTL deletion is lazy), or when it is an
// abandoned in-progress record of the same request.
func (s *Idempotency) Begin(ctx context.Context, c idempotency.Claim, now time.Time) (*idempotency.Response, error) {
	item, err := attributevalue.MarshalMap(idemItem{
		PK: c.UserID + "#" + c.Key, UserID: c.UserID, RequestHash: c.Hash, Status: idempotency.StatusInProgress, Token: c.Token,
		InProgressUntil: now.Unix() + idempotency.InProgressTTLSeconds, ExpiresAt: now.Unix() + idempotency.RecordTTLSeconds,
	})
	if err != nil {
		return nil, fmt.Errorf("marshal idempotency record: %w", err)
	}
	nowV := expression.Value(now.Unix())
	cond := expression.Or(
		expression.AttributeNotExists(expression.Name("pk")),
		expression.Name("expires_at").LessThan(nowV),
		expression.And(
			expression.Name("status").Equal(expression.Value(idempotency.StatusInProgress)),
			expression.Name("in_progress_until").LessThan(nowV),
			expression.Name("request_hash").Equal(expression.Value(c.Hash)),
		),
	)
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build idempotency condition: %w", err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table), Item: item,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil, nil
	}
	existing, refused, err := refusedBy(ctx, s.DB, s.Table, idemKey(c), err)
	if !refused || err != nil {
		return nil, fmt.Errorf("begin idempotency record: %w", err)
	}
	var old idemItem
	if err := attributevalue.UnmarshalMap(existing, &old); err != nil {
		return nil, fmt.Errorf("unmarshal idempotency record: %w", err)
	}
	switch {
	case old.Token == c.Token && old.Status == idempotency.StatusInProgress:
		// This very claim: the SDK sent the put again after its first answer was lost
		// (MINISTACK_GAPS 18; AWS retries a lost answer too), and the second attempt met
		// the first's record. The claim is held.
		return nil, nil
	case old.RequestHash != c.Hash:
		return nil, idempotency.ErrKeyReused
	case old.Status == idempotency.StatusCompleted:
		return &idempotency.Response{Outcome: old.outcome(), Body: []byte(old.ResponseBody)}, nil
	default:
		return nil, idempotency.ErrInProgress
	}
}

// Release deletes the claim's record if the claim still holds it.
func (s *Idempotency) Release(ctx context.Context, c idempotency.Claim) error {
	expr, err := expression.NewBuilder().WithCondition(expression.And(
		expression.Name("token").Equal(expression.Value(c.Token)),
		expression.Name("status").Equal(expression.Value(idempotency.StatusInProgress)),
	)).Build()
	if err != nil {
		return fmt.Errorf("build release condition: %w", err)
	}
	_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.Table), Key: idemKey(c),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release idempotency record: %w", err)
	}
	return nil
}

// completionItem is the transaction item that completes a claim: it only applies
// while the claim's token still holds the in-progress record.
func (s *Idempotency) completionItem(c idempotency.Completion, now time.Time) (ddbtypes.TransactWriteItem, error) {
	update := expression.Set(expression.Name("status"), expression.Value(idempotency.StatusCompleted)).
		Set(expression.Name("response_outcome"), expression.Value(c.Response.Outcome)).
		Set(expression.Name("response_body"), expression.Value(string(c.Response.Body))).
		Set(expression.Name("expires_at"), expression.Value(now.Unix()+idempotency.RecordTTLSeconds)).
		Remove(expression.Name("token"))
	cond := expression.And(
		expression.Name("token").Equal(expression.Value(c.Claim.Token)),
		expression.Name("status").Equal(expression.Value(idempotency.StatusInProgress)),
	)
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("build completion: %w", err)
	}
	return ddbtypes.TransactWriteItem{Update: updateOf(s.Table, idemKey(c.Claim), expr)}, nil
}
