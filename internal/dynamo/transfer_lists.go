package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

const walletTxPrefix = "T#"

func walletTxPK(walletID string) string { return "WALLETTX#" + walletID }

// TransfersOfWallets pages the transfers of some wallets, newest first: one query per
// wallet's index partition (each sorted by creation time), merged, each transfer once (a
// transfer between two of the wallets is in both), then one batch read of the page's
// transfers. The cursor is the last index sort key returned; every partition resumes
// after it.
func (s *Ledger) TransfersOfWallets(ctx context.Context, walletIDs []string, limit int, cursor string) ([]transfer.Transfer, string, error) {
	type indexed struct{ sk, id string }
	var found []indexed
	more := false
	for _, w := range walletIDs {
		raws, next, err := newestPage(ctx, s.DB, s.Table, walletTxPK(w), walletTxPrefix, limit, cursor)
		if err != nil {
			return nil, "", err
		}
		more = more || next != ""
		for _, item := range raws {
			var idx struct {
				SK         string `dynamodbav:"sk"`
				TransferID string `dynamodbav:"transfer_id"`
			}
			if err := attributevalue.UnmarshalMap(item, &idx); err != nil {
				return nil, "", fmt.Errorf("unmarshal index: %w", err)
			}
			found = append(found, indexed{idx.SK, idx.TransferID})
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].sk > found[j].sk })
	var page []indexed
	seen := map[string]bool{}
	for _, f := range found {
		if seen[f.id] {
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		seen[f.id] = true
		page = append(page, f)
	}
	ids := make([]string, len(page))
	for i, f := range page {
		ids[i] = f.id
	}
	ts, err := s.TransfersByID(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if more && len(page) > 0 {
		next = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].sk))
	}
	return ts, next, nil
}

// batchGetAttemptsMax bounds the rounds of a batch read that DynamoDB answers in part
// (UnprocessedKeys, under throttling).
const batchGetAttemptsMax = 5

// TransfersByID reads transfers by id in one BatchGetItem (ids are at most a page, and a
// page is at most 100, BatchGetItem's own limit), in the order of ids.
func (s *Ledger) TransfersByID(ctx context.Context, ids []string) ([]transfer.Transfer, error) {
	keys := make([]map[string]ddbtypes.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(transferPK(id), transferSK)
	}
	byID, err := batchRead(ctx, s.DB, s.Table, "transfers", keys, func(it transferItem) (string, transfer.Transfer) {
		return it.ID, it.transfer()
	})
	if err != nil {
		return nil, err
	}
	ts := make([]transfer.Transfer, 0, len(ids))
	for _, id := range ids {
		t, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("transfer %s is indexed but missing", id)
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// holdBucketQueriesInFlight bounds how many index buckets one page reads at once.
const holdBucketQueriesInFlight = 8

// Positions in the expiring-holds index: a bucket not read yet is "", a bucket read to
// its end holdBucketDone; the position of a page is the buckets' positions joined.
const (
	holdBucketDone = "~"
	holdBucketSep  = "|"
)

type expiredHold struct{ sk, id string }

// ExpiredHolds lists transfers whose hold expired by now, after the index position
// after ("" from the start). A page reads every bucket of the index not yet read to its
// end, up to holdBucketQueriesInFlight at once and a share of limit from each, and
// lists what they hold oldest first. It returns the position to continue from, ""
// when every bucket has been read to its end.
func (s *Ledger) ExpiredHolds(ctx context.Context, now time.Time, limit int, after string) ([]string, string, error) {
	pos := make([]string, HoldBuckets)
	if after != "" {
		pos = strings.Split(after, holdBucketSep)
		if len(pos) != HoldBuckets {
			return nil, "", fmt.Errorf("expired holds: position of %d buckets, the index has %d", len(pos), HoldBuckets)
		}
	}
	perBucket := max(1, (limit+HoldBuckets-1)/HoldBuckets)
	found := make([][]expiredHold, HoldBuckets)
	errs := make([]error, HoldBuckets)
	slots := make(chan struct{}, holdBucketQueriesInFlight)
	var wg sync.WaitGroup
	for b := range HoldBuckets {
		if pos[b] == holdBucketDone {
			continue
		}
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			found[b], pos[b], errs[b] = s.expiredInBucket(ctx, fmt.Sprintf("%s#%02d", holdsPK, b), now, perBucket, pos[b])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	var all []expiredHold
	for _, f := range found {
		all = append(all, f...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].sk < all[j].sk })
	ids := make([]string, 0, len(all))
	for _, h := range all {
		ids = append(ids, h.id)
	}
	for _, p := range pos {
		if p != holdBucketDone {
			return ids, strings.Join(pos, holdBucketSep), nil
		}
	}
	return ids, "", nil
}

// expiredInBucket reads one page of one index bucket after the sort key after and
// returns its holds and the bucket's next position.
func (s *Ledger) expiredInBucket(ctx context.Context, pk string, now time.Time, limit int, after string) ([]expiredHold, string, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk)).
		And(expression.Key("sk").LessThan(expression.Value(fmt.Sprintf("%012d$", now.Unix()))))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)} // #nosec G115 -- small constant
	if after != "" {
		in.ExclusiveStartKey = key(pk, after)
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query expired holds in %s: %w", pk, err)
	}
	holds := make([]expiredHold, 0, len(out.Items))
	for _, item := range out.Items {
		var idx struct {
			SK         string `dynamodbav:"sk"`
			TransferID string `dynamodbav:"transfer_id"`
		}
		if err := attributevalue.UnmarshalMap(item, &idx); err != nil {
			return nil, "", fmt.Errorf("unmarshal hold: %w", err)
		}
		holds = append(holds, expiredHold{sk: idx.SK, id: idx.TransferID})
	}
	next := stringAttr(out.LastEvaluatedKey, "sk")
	if next == "" {
		next = holdBucketDone
	}
	return holds, next, nil
}

// ForgetHold deletes a transfer's entry in the expiring-holds index, if any.
func (s *Ledger) ForgetHold(ctx context.Context, t transfer.Transfer) error {
	if t.ExpiresAt.IsZero() {
		return nil
	}
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(holdPK(t.ID), holdSK(t))})
	if err != nil {
		return fmt.Errorf("forget hold %s: %w", t.ID, err)
	}
	return nil
}
