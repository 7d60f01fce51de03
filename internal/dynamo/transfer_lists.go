package dynamo

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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

// ExpiredHolds lists transfers whose hold expired by now, after the index position
// after ("" from the start), and the position to continue from (see dueIn).
func (s *Ledger) ExpiredHolds(ctx context.Context, now time.Time, limit int, after string) ([]string, string, error) {
	due, next, err := s.dueIn(ctx, sweptIndex{pk: holdsPK, buckets: HoldBuckets, idAttr: "transfer_id"},
		fmt.Sprintf("%012d$", now.Unix()), limit, after)
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, 0, len(due))
	for _, d := range due {
		ids = append(ids, d.id)
	}
	return ids, next, nil
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
