package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/reward"
)

// Rewards keeps points in their own table:
//
//	pk USER#<user>  sk BALANCE#<currency>             the points balance in one currency,
//	                                                    and the points earned on the latest
//	                                                    UTC day anything was (day, day_points)
//	pk USER#<user>  sk DAY#<currency>#<YYYY-MM-DD>    the points earned on an earlier UTC day
//	                                                    (see balanceDay)
//	pk USER#<user>  sk H#<created, unix ms>#<entry id>  the history, newest first
//	pk USER#<user>  sk EARNED#<entry id>               a transfer's claim: earn-<transfer id>,
//	                                                    written with the earn (points, amount),
//	                                                    so a transfer earns once whatever the
//	                                                    event's time; its refunds' total and the
//	                                                    points they took back (refunded, clawed)
//	pk USER#<user>  sk CLAWBACK#<refund id>            a refund's take-back, written once
//
// A redemption spans this table and the ledger table in one transaction.
type Rewards struct {
	DB     API
	Table  string
	Ledger *Ledger
}

var _ reward.Store = (*Rewards)(nil)

type rewardItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	ID         string    `dynamodbav:"id"`
	Points     int64     `dynamodbav:"points"`
	Currency   string    `dynamodbav:"currency"`
	Kind       string    `dynamodbav:"kind"`
	TransferID string    `dynamodbav:"transfer_id,omitempty"`
	WalletID   string    `dynamodbav:"wallet_id,omitempty"`
	CreatedAt  time.Time `dynamodbav:"created_at"`
}

func historySK(e reward.Entry) string {
	return "H#" + byTime(e.CreatedAt, e.ID)
}

func (s *Rewards) historyPut(userID string, e reward.Entry) (ddbtypes.TransactWriteItem, error) {
	put, err := absentPut(s.Table, "reward entry", rewardItem{PK: userPK(userID), SK: historySK(e), ID: e.ID, Points: e.Points,
		Currency: e.Currency, Kind: e.Kind, TransferID: e.TransferID, WalletID: e.WalletID, CreatedAt: e.CreatedAt})
	return ddbtypes.TransactWriteItem{Put: put}, err
}

const (
	balanceSKPrefix = "BALANCE#"
	daySKPrefix     = "DAY#"
	earnedSKPrefix  = "EARNED#"
)

func (s *Rewards) balanceAdd(userID, currency string, delta int64, cond *expression.ConditionBuilder) (ddbtypes.TransactWriteItem, error) {
	return addTo(s.Table, key(userPK(userID), balanceSKPrefix+currency), "points", delta, cond)
}

func daySK(currency, day string) string { return daySKPrefix + currency + "#" + day }

// History returns the points balances (one query) and a page of history, newest first.
func (s *Rewards) History(ctx context.Context, userID string, limit int, cursor string) ([]reward.Entry, string, []reward.Balance, error) {
	balances, err := s.balances(ctx, userID)
	if err != nil {
		return nil, "", nil, err
	}
	items, next, err := newestPageOf(ctx, s.DB, s.Table, "reward entry", userPK(userID), "H#", limit, cursor,
		func(it rewardItem) reward.Entry {
			return reward.Entry{ID: it.ID, Points: it.Points, Currency: it.Currency, Kind: it.Kind,
				TransferID: it.TransferID, WalletID: it.WalletID, CreatedAt: it.CreatedAt}
		})
	if err != nil {
		return nil, "", nil, err
	}
	return items, next, balances, nil
}

// balancesMax bounds the balance query: one item per currency the platform holds.
const balancesMax = 64

func (s *Rewards) balances(ctx context.Context, userID string) ([]reward.Balance, error) {
	kc := expression.Key("pk").Equal(expression.Value(userPK(userID))).
		And(expression.Key("sk").BeginsWith(balanceSKPrefix))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("build balance query: %w", err)
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		Limit: aws.Int32(balancesMax), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("query points balances: %w", err)
	}
	bs := make([]reward.Balance, 0, len(out.Items))
	for _, raw := range out.Items {
		var it struct {
			SK     string `dynamodbav:"sk"`
			Points int64  `dynamodbav:"points"`
		}
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, fmt.Errorf("unmarshal points balance: %w", err)
		}
		bs = append(bs, reward.Balance{Currency: strings.TrimPrefix(it.SK, balanceSKPrefix), Points: it.Points})
	}
	return bs, nil
}

// Wallet reads a wallet from the ledger.
func (s *Rewards) Wallet(ctx context.Context, id string) (ledger.Wallet, error) {
	if !op.IsID(id) {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return s.Ledger.Wallet(ctx, id)
}

// Redeem debits the points (only if enough) and credits the wallet from the rewards
// account, in one transaction with the idempotency completion.
func (s *Rewards) Redeem(ctx context.Context, r reward.Redemption) error {
	var tx txn
	ds := []ledger.Delta{r.Wallet}
	if err := tx.addDeltas(s.Ledger, ds, &r.Posting); err != nil {
		return err
	}
	if err := tx.addPosting(s.Ledger, &r.Posting, ds); err != nil {
		return err
	}
	enough := expression.Name("points").GreaterThanEqual(expression.Value(-r.Entry.Points))
	debit, err := s.balanceAdd(r.UserID, r.Entry.Currency, r.Entry.Points, &enough)
	if err != nil {
		return err
	}
	tx.add(debit, func(map[string]ddbtypes.AttributeValue) error { return reward.ErrInsufficientPoints })
	put, err := s.historyPut(r.UserID, r.Entry)
	if err != nil {
		return err
	}
	tx.add(put, nil)
	if err := tx.addCompletion(s.Ledger, r.Completion); err != nil {
		return err
	}
	return tx.commit(ctx, s.DB)
}
