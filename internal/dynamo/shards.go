package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// A wallet's receive shards (see ledger.ReceiveShardOf) are items of their own, each
// its own partition:
//
//	pk WALLET#<id>#RS#<k>  sk WALLET  receive shard k: balance, available (= balance), entry_count, status
//	pk WALLET#<id>#RS#<k>  sk ENTRY#<created_at, unix ms, 13 digits>#<entry id>  the entries it received
//
// A post into the wallet updates one shard and puts its entry there, conditional on
// the shard's status (a freeze writes it onto every shard with the wallet), so the
// wallet item is not written. A sweep moves a shard's balance to the wallet item.

const typeShard = "shard"

type shardItem struct {
	PK             string    `dynamodbav:"pk"`
	SK             string    `dynamodbav:"sk"`
	Type           string    `dynamodbav:"type"`
	ID             string    `dynamodbav:"id"` // the wallet's
	Shard          int       `dynamodbav:"shard"`
	OwnerID        string    `dynamodbav:"owner_id"`
	Currency       string    `dynamodbav:"currency"`
	BalanceMinor   int64     `dynamodbav:"balance"`
	AvailableMinor int64     `dynamodbav:"available"` // = balance: the wallet's delta rules test it
	Status         string    `dynamodbav:"status"`
	EntryCount     int64     `dynamodbav:"entry_count"`
	Swept          int64     `dynamodbav:"swept"` // what sweeps moved to the wallet, ever
	UpdatedAt      time.Time `dynamodbav:"updated_at"`
}

func (it shardItem) shard() ledger.Shard {
	return ledger.Shard{WalletID: it.ID, Number: it.Shard, Currency: it.Currency, BalanceMinor: it.BalanceMinor,
		EntryCount: it.EntryCount, Status: ledger.Status(it.Status)}
}

func shardPK(walletID string, k int) string { return walletPK(ledger.ShardKey(walletID, k)) }

// targetPK is the partition a delta changes: its wallet's, or its receive shard's.
func targetPK(d ledger.Delta) string { return walletPK(d.Target()) }

// shardPuts are the puts that open a new wallet's receive shards, empty and ACTIVE.
func (s *Ledger) shardPuts(w ledger.Wallet) ([]ddbtypes.TransactWriteItem, error) {
	items := make([]ddbtypes.TransactWriteItem, 0, w.ReceiveShards)
	for k := 1; k <= w.ReceiveShards; k++ {
		put, err := absentPut(s.Table, "receive shard", shardItem{PK: shardPK(w.ID, k), SK: walletSortKey, Type: typeShard, ID: w.ID,
			Shard: k, OwnerID: w.OwnerID, Currency: w.Currency, Status: string(w.Status), UpdatedAt: w.CreatedAt})
		if err != nil {
			return nil, err
		}
		items = append(items, ddbtypes.TransactWriteItem{Put: put})
	}
	return items, nil
}

// batchGetAttemptsShards bounds the rounds of a shard read that DynamoDB left keys of.
const batchGetAttemptsShards = 5

// withShards is the wallet item it (read first) plus its receive shards (read after it).
// A sweep between the two reads moved money from a shard the item was read without:
// each shard's and the item's counts of what was swept from it tell how much (the sweep
// adds to both in one transaction), and it is counted back on the shard, so the sum is
// the item as read plus its shards as of then, with the posts that came since.
func (s *Ledger) withShards(ctx context.Context, it walletItem) (ledger.Wallet, error) {
	items, err := s.shardItems(ctx, it.ID, it.ReceiveShards)
	if err != nil {
		return ledger.Wallet{}, err
	}
	shards := make([]ledger.Shard, 0, len(items))
	for _, sh := range items {
		shard := sh.shard()
		shard.BalanceMinor += sh.Swept - it.Swept[strconv.Itoa(sh.Shard)]
		shards = append(shards, shard)
	}
	return ledger.WithShards(it.wallet(), shards), nil
}

// shardItems reads a wallet's n receive shards, strongly consistent, in one BatchGetItem
// (n ≤ ledger.ReceiveShardsMax, under its 100 keys), ordered by number.
func (s *Ledger) shardItems(ctx context.Context, walletID string, n int) ([]shardItem, error) {
	if n == 0 {
		return nil, nil
	}
	keys := make([]map[string]ddbtypes.AttributeValue, 0, n)
	for k := 1; k <= n; k++ {
		keys = append(keys, key(shardPK(walletID, k), walletSortKey))
	}
	shards := make([]shardItem, 0, n)
	request := map[string]ddbtypes.KeysAndAttributes{s.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(request) > 0; attempt++ {
		if attempt == batchGetAttemptsShards {
			return nil, fmt.Errorf("read shards of %s: keys still unprocessed after %d attempts", walletID, attempt)
		}
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
		}
		out, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, fmt.Errorf("read shards of %s: %w", walletID, err)
		}
		for _, raw := range out.Responses[s.Table] {
			var it shardItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("unmarshal shard: %w", err)
			}
			shards = append(shards, it)
		}
		request = out.UnprocessedKeys
	}
	if len(shards) != n {
		return nil, fmt.Errorf("wallet %s: %d of its %d receive shards found", walletID, len(shards), n)
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].Shard < shards[j].Shard })
	return shards, nil
}

// shortOnItem is a debit the wallet item cannot pay while its receive shards may:
// the store sweeps them and tries the same transaction once more.
type shortOnItem struct{ walletID string }

func (e *shortOnItem) Error() string {
	return "wallet " + e.walletID + ": the wallet item is short; its receive shards may cover it"
}

// commitSweeping commits tx; when a debit finds its wallet item short and the wallet
// has receive shards, it sweeps them into the item and commits tx once more (nothing
// of the first try was written). A debit still short is insufficient_funds.
func (s *Ledger) commitSweeping(ctx context.Context, tx *txn) error {
	err := tx.commit(ctx, s.DB)
	var short *shortOnItem
	if !errors.As(err, &short) {
		return err
	}
	// Tried again even when this sweep moved nothing: a sweep running at the same time
	// may have moved the shards' money onto the item since the refusal.
	if _, err := s.SweepShards(ctx, short.walletID); err != nil {
		return err
	}
	if err := tx.commit(ctx, s.DB); errors.As(err, &short) {
		return ledger.ErrInsufficientFunds
	} else if err != nil {
		return err
	}
	return nil
}

// SweepShards moves what a wallet's receive shards hold into the wallet item, one
// transaction per shard with money: the shard takes −x (on condition that it still
// holds at least x) and the wallet item +x, both balance and available. Each move takes
// out exactly what it puts in, so sweeps running twice, at once or between posts never
// lose or make a cent: a sweep that lost the race to another finds the shard short and
// moves nothing. It is an internal move within one wallet, not a posting: the wallet's
// balance (item plus shards) and its entries do not change. Returns what this call
// moved.
func (s *Ledger) SweepShards(ctx context.Context, walletID string) (int64, error) {
	var it walletItem
	if err := getItem(ctx, s.DB, s.Table, key(walletPK(walletID), walletSortKey), &it); err != nil {
		return 0, err
	}
	shards, err := s.shardItems(ctx, walletID, it.ReceiveShards)
	if err != nil {
		return 0, err
	}
	var moved int64
	for _, sh := range shards {
		if sh.BalanceMinor <= 0 {
			continue
		}
		err := retry.Conflicts(ctx, func(int) error { return s.sweepShard(ctx, sh.ID, sh.Shard, sh.BalanceMinor) })
		if errors.Is(err, errShardShort) {
			continue // another sweep took it
		}
		if err != nil {
			return moved, err
		}
		moved += sh.BalanceMinor
	}
	return moved, nil
}

var errShardShort = errors.New("the shard no longer holds what was read")

// sweepShard moves x from shard k to the wallet item, counting it as swept on both.
func (s *Ledger) sweepShard(ctx context.Context, walletID string, k int, x int64) error {
	now := s.now().UTC()
	swept := expression.Name("shards_swept." + strconv.Itoa(k))
	take, err := expression.NewBuilder().WithUpdate(
		expression.Add(expression.Name("balance"), expression.Value(-x)).
			Add(expression.Name("available"), expression.Value(-x)).
			Add(expression.Name("swept"), expression.Value(x)).
			Set(expression.Name("updated_at"), expression.Value(now))).
		WithCondition(expression.Name("balance").GreaterThanEqual(expression.Value(x))).Build()
	if err != nil {
		return fmt.Errorf("build shard sweep: %w", err)
	}
	give, err := expression.NewBuilder().WithUpdate(
		expression.Add(expression.Name("balance"), expression.Value(x)).
			Add(expression.Name("available"), expression.Value(x)).
			Set(swept, expression.Plus(swept, expression.Value(x))).
			Set(expression.Name("updated_at"), expression.Value(now))).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return fmt.Errorf("build wallet sweep: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(shardPK(walletID, k), walletSortKey), take)},
		refuseWith(errShardShort))
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(walletPK(walletID), walletSortKey), give)}, nil)
	return tx.commit(ctx, s.DB)
}

// shardStatusItems write a status change onto every receive shard of w, in the
// transaction that changes the wallet's: a close also needs each shard empty.
func (s *Ledger) shardStatusItems(w ledger.Wallet) ([]ddbtypes.TransactWriteItem, error) {
	items := make([]ddbtypes.TransactWriteItem, 0, w.ReceiveShards)
	for k := 1; k <= w.ReceiveShards; k++ {
		cond := expression.AttributeExists(expression.Name("pk"))
		if w.Status == ledger.StatusClosed {
			cond = cond.And(expression.Name("balance").Equal(expression.Value(0)))
		}
		expr, err := expression.NewBuilder().WithUpdate(
			expression.Set(expression.Name("status"), expression.Value(string(w.Status))).
				Set(expression.Name("updated_at"), expression.Value(w.UpdatedAt))).WithCondition(cond).Build()
		if err != nil {
			return nil, fmt.Errorf("build shard status: %w", err)
		}
		items = append(items, ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(shardPK(w.ID, k), walletSortKey), expr)})
	}
	return items, nil
}
