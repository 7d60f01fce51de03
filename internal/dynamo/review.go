package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// The review desk's index lives in the ledger table:
//
//	pk REVIEW  sk <opened at, unix ms, 13 digits>#<transfer id>  one open review case
//
// A case is put in the same transaction that sets the transfer's review_opened_at, and
// deleted in the one that takes the transfer out of NEEDS_REVIEW.
var _ transfer.ReviewStore = (*Ledger)(nil)

const (
	reviewPK = "REVIEW"
	// statusScanPagesMax bounds the scan behind a FAILED or PENDING desk page: at most
	// this many scan pages of statusScanItemsMax items each are read for one answer.
	statusScanPagesMax = 8
	statusScanItemsMax = 1_000
	// reviewCountPagesMax bounds the count of open review cases (1 MB of keys a page).
	reviewCountPagesMax = 8
)

type reviewItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	Type       string    `dynamodbav:"type"`
	TransferID string    `dynamodbav:"transfer_id"`
	OpenedAt   time.Time `dynamodbav:"opened_at"`
	Phase      string    `dynamodbav:"phase,omitempty"`
	Error      string    `dynamodbav:"error,omitempty"`
	Cause      string    `dynamodbav:"cause,omitempty"`
}

// reviewIndex adds to tx the opening or closing of a transfer's review case.
func (tx *txn) reviewIndex(s *Ledger, c transfer.Change) error {
	switch {
	case c.Case != nil:
		put, err := absentPut(s.Table, "review case", reviewItem{PK: reviewPK, SK: byTime(c.Case.OpenedAt, c.Case.TransferID), Type: "review_case",
			TransferID: c.Case.TransferID, OpenedAt: c.Case.OpenedAt, Phase: c.Case.Phase, Error: c.Case.Error, Cause: c.Case.Cause})
		if err != nil {
			return err
		}
		tx.add(ddbtypes.TransactWriteItem{Put: put}, conflict)
	case c.Before.Status == transfer.StatusNeedsReview && c.After.Status != transfer.StatusNeedsReview && !c.Before.ReviewOpenedAt.IsZero():
		tx.add(ddbtypes.TransactWriteItem{Delete: &ddbtypes.Delete{TableName: aws.String(s.Table),
			Key: key(reviewPK, byTime(c.Before.ReviewOpenedAt, c.Before.ID))}}, nil)
	}
	return nil
}

// ReviewCases lists open review cases, newest first.
func (s *Ledger) ReviewCases(ctx context.Context, limit int, cursor string) ([]transfer.ReviewCase, string, error) {
	return newestPageOf(ctx, s.DB, s.Table, "review case", reviewPK, "", limit, cursor, func(it reviewItem) transfer.ReviewCase {
		return transfer.ReviewCase{TransferID: it.TransferID, OpenedAt: it.OpenedAt, Phase: it.Phase, Error: it.Error, Cause: it.Cause}
	})
}

// OpenReviewCases counts the open review cases (for the OpenReviewCases metric).
func (s *Ledger) OpenReviewCases(ctx context.Context) (int, error) {
	kc := expression.Key("pk").Equal(expression.Value(reviewPK))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return 0, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Select: ddbtypes.SelectCount}
	n := 0
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for pages := 0; p.HasMorePages() && pages < reviewCountPagesMax; pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("count review cases: %w", err)
		}
		n += int(out.Count)
	}
	return n, nil
}

// TransfersWithStatus scans the ledger table for transfers in status last changed
// before updatedBefore. The table has no index by status (it would cost a write on every
// status change of every transfer), so this reads at most statusScanPagesMax pages of
// the table per answer and sorts what it found newest first; the cursor resumes the
// scan. It is for an admin's desk, not for a hot path.
func (s *Ledger) TransfersWithStatus(ctx context.Context, status transfer.Status, updatedBefore time.Time, limit int, cursor string) ([]transfer.Transfer, string, error) {
	filter := expression.Name("type").Equal(expression.Value(typeTransfer)).
		And(expression.Name("status").Equal(expression.Value(string(status)))).
		And(expression.Name("updated_at").LessThan(expression.Value(updatedBefore.UTC().Format(time.RFC3339Nano))))
	expr, err := expression.NewBuilder().WithFilter(filter).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build scan: %w", err)
	}
	in := &dynamodb.ScanInput{TableName: aws.String(s.Table), FilterExpression: expr.Filter(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(statusScanItemsMax), ConsistentRead: aws.Bool(true)}
	if cursor != "" {
		start, err := decodeScanCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	var found []transfer.Transfer
	for pages := 0; pages < statusScanPagesMax && len(found) < limit; pages++ {
		out, err := s.DB.Scan(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("scan transfers: %w", err)
		}
		for _, item := range out.Items {
			var it transferItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, "", fmt.Errorf("unmarshal transfer: %w", err)
			}
			found = append(found, it.transfer())
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
	}
	// A scan page's filter may pass more than limit: keep the first limit and resume
	// after the last one kept.
	next := ""
	if len(found) > limit {
		found = found[:limit]
		in.ExclusiveStartKey = key(transferPK(found[limit-1].ID), transferSK)
	}
	if len(in.ExclusiveStartKey) > 0 {
		if next, err = encodeScanCursor(in.ExclusiveStartKey); err != nil {
			return nil, "", err
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].UpdatedAt.After(found[j].UpdatedAt) })
	return found, next, nil
}

func encodeScanCursor(k map[string]ddbtypes.AttributeValue) (string, error) {
	pk, _ := k["pk"].(*ddbtypes.AttributeValueMemberS)
	sk, _ := k["sk"].(*ddbtypes.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return "", fmt.Errorf("scan position without a string key")
	}
	b, err := json.Marshal([2]string{pk.Value, sk.Value})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func decodeScanCursor(c string) (map[string]ddbtypes.AttributeValue, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	var k [2]string
	if err != nil || json.Unmarshal(b, &k) != nil || k[0] == "" || k[1] == "" {
		return nil, op.ErrInvalidCursor
	}
	return key(k[0], k[1]), nil
}
