package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// Entries returns a page of a wallet's entries, newest first, older than the position
// after ("" for the newest); the position returned is the last entry's sort key, ""
// when the page is not full. A page costs one query, and one more per receive shard:
// each partition's newest page, merged by sort key (the same form on every partition).
func (s *Ledger) Entries(ctx context.Context, w ledger.Wallet, limit int, after string) ([]ledger.Entry, string, error) {
	if after != "" && (!strings.HasPrefix(after, entrySortKeyPrefix) || len(after) > entrySortKeyLenMax) {
		return nil, "", op.ErrInvalidCursor
	}
	type keyed struct {
		sk string
		e  ledger.Entry
	}
	var all []keyed
	for k := 0; k <= w.ReceiveShards; k++ {
		pk := walletPK(w.ID)
		if k > 0 {
			pk = shardPK(w.ID, k)
		}
		entries, sks, err := s.entriesOn(ctx, pk, limit, after)
		if err != nil {
			return nil, "", err
		}
		for i, e := range entries {
			all = append(all, keyed{sks[i], e})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].sk > all[j].sk })
	entries := make([]ledger.Entry, 0, min(limit, len(all)))
	next := ""
	for _, it := range all[:min(limit, len(all))] {
		entries = append(entries, it.e)
		next = it.sk
	}
	if len(entries) < limit {
		next = ""
	}
	return entries, next, nil
}

// entriesOn is the newest page of entries of one partition below after, and their sort keys.
func (s *Ledger) entriesOn(ctx context.Context, pk string, limit int, after string) ([]ledger.Entry, []string, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk))
	if after != "" {
		kc = kc.And(expression.Key("sk").LessThan(expression.Value(after)))
	} else {
		kc = kc.And(expression.Key("sk").BeginsWith(entrySortKeyPrefix))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, nil, fmt.Errorf("build query: %w", err)
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)}) // #nosec G115 -- limit ≤ 200
	if err != nil {
		return nil, nil, fmt.Errorf("query entries: %w", err)
	}
	entries := make([]ledger.Entry, 0, len(out.Items))
	sks := make([]string, 0, len(out.Items))
	for _, item := range out.Items {
		var it entryItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, nil, fmt.Errorf("unmarshal entry: %w", err)
		}
		if it.Type != typeEntry {
			continue
		}
		entries = append(entries, it.entry())
		sks = append(sks, it.SK)
	}
	return entries, sks, nil
}

// Snapshot reads the whole ledger for the invariant check. It is a scan: run it when
// no money moves (tests, an admin's audit), not on a request path.
func (s *Ledger) Snapshot(ctx context.Context) (ledger.Snapshot, error) {
	snap := ledger.Snapshot{ExternalBalances: map[string]int64{}}
	var start map[string]ddbtypes.AttributeValue
	for page := 0; page < scanPagesMax; page++ {
		out, err := s.DB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(s.Table), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return snap, fmt.Errorf("scan ledger: %w", err)
		}
		for _, item := range out.Items {
			var t struct {
				Type string `dynamodbav:"type"`
			}
			if err := attributevalue.UnmarshalMap(item, &t); err != nil {
				return snap, fmt.Errorf("unmarshal item: %w", err)
			}
			switch t.Type {
			case typeWallet:
				var it walletItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return snap, fmt.Errorf("unmarshal wallet: %w", err)
				}
				snap.Wallets = append(snap.Wallets, it.wallet())
				if it.AvailableMinor != it.BalanceMinor-it.HeldMinor {
					snap.Problems = append(snap.Problems, fmt.Sprintf("wallet %s: stored available %d, balance − held %d",
						it.ID, it.AvailableMinor, it.BalanceMinor-it.HeldMinor))
				}
			case typeShard:
				var it shardItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return snap, fmt.Errorf("unmarshal shard: %w", err)
				}
				snap.Shards = append(snap.Shards, it.shard())
				if it.AvailableMinor != it.BalanceMinor {
					snap.Problems = append(snap.Problems, fmt.Sprintf("wallet %s: shard %d stored available %d, balance %d",
						it.ID, it.Shard, it.AvailableMinor, it.BalanceMinor))
				}
			case typeEntry:
				var it entryItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return snap, fmt.Errorf("unmarshal entry: %w", err)
				}
				snap.Entries = append(snap.Entries, it.entry())
			case typeTransfer:
				var it transferItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return snap, fmt.Errorf("unmarshal transfer: %w", err)
				}
				snap.Holds = append(snap.Holds, transfer.HoldFactsOf(it.transfer()))
			case typeExternal:
				var it externalItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return snap, fmt.Errorf("unmarshal external account: %w", err)
				}
				snap.ExternalBalances[it.Account] += it.BalanceMinor
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return snap, nil
		}
		start = out.LastEvaluatedKey
	}
	return snap, fmt.Errorf("scan ledger: more than %d pages", scanPagesMax)
}
