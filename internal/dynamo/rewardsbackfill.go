package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BackfillHistory lists in the history index every line written before the history was
// one (an H# item without h, earns' lines among them: a claim of that time is no line),
// giving it its index key (its sort key) and its points (h_points). Each line is one
// update conditional on having no h yet, so a second run, or a run beside the earns and
// redemptions writing new lines, moves nothing twice. It scans the table page by page and
// returns how many lines it moved.
func (s *Rewards) BackfillHistory(ctx context.Context) (int, error) {
	filter := expression.Name("sk").BeginsWith("H#").And(expression.AttributeNotExists(expression.Name("h")))
	scan, err := expression.NewBuilder().WithFilter(filter).
		WithProjection(expression.NamesList(expression.Name("pk"), expression.Name("sk"), expression.Name("points"))).Build()
	if err != nil {
		return 0, fmt.Errorf("build history scan: %w", err)
	}
	in := &dynamodb.ScanInput{TableName: aws.String(s.Table), FilterExpression: scan.Filter(), ProjectionExpression: scan.Projection(),
		ExpressionAttributeNames: scan.Names(), ExpressionAttributeValues: scan.Values(), ConsistentRead: aws.Bool(true)}
	moved := 0
	for {
		out, err := s.DB.Scan(ctx, in)
		if err != nil {
			return moved, fmt.Errorf("scan the rewards history: %w", err)
		}
		for _, raw := range out.Items {
			var it struct {
				PK     string `dynamodbav:"pk"`
				SK     string `dynamodbav:"sk"`
				Points int64  `dynamodbav:"points"`
			}
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return moved, fmt.Errorf("unmarshal reward entry: %w", err)
			}
			ok, err := s.indexLine(ctx, it.PK, it.SK, it.Points)
			if err != nil {
				return moved, err
			}
			if ok {
				moved++
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return moved, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// indexLine gives one line its index key and points, unless it has them (false).
func (s *Rewards) indexLine(ctx context.Context, pk, sk string, points int64) (bool, error) {
	upd, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("h"), expression.Value(sk)).Set(expression.Name("h_points"), expression.Value(points))).
		WithCondition(expression.AttributeExists(expression.Name("pk")).And(expression.AttributeNotExists(expression.Name("h")))).Build()
	if err != nil {
		return false, fmt.Errorf("build history update: %w", err)
	}
	_, err = updateAlone(ctx, s.DB, updateOf(s.Table, key(pk, sk), upd), ddbtypes.ReturnValueNone)
	if isConditionFailed(err) {
		return false, nil // indexed since the scan read it
	}
	if err != nil {
		return false, fmt.Errorf("index history line %s: %w", sk, err)
	}
	return true, nil
}
