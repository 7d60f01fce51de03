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

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/reward"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Rewards keeps points in their own table:
//
//	pk USER#<user>  sk BALANCE                        the points balance
//	pk USER#<user>  sk H#<created, unix ms>#<entry id>  the history; an earn entry is
//	                                                    keyed by its event's time and
//	                                                    earn-<transfer id>, so a redelivered
//	                                                    event cannot earn twice
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
	Kind       string    `dynamodbav:"kind"`
	TransferID string    `dynamodbav:"transfer_id,omitempty"`
	WalletID   string    `dynamodbav:"wallet_id,omitempty"`
	CreatedAt  time.Time `dynamodbav:"created_at"`
}

func historySK(e reward.Entry) string {
	return fmt.Sprintf("H#%013d#%s", e.CreatedAt.UnixMilli(), e.ID)
}

func (s *Rewards) historyPut(userID string, e reward.Entry) (ddbtypes.TransactWriteItem, error) {
	item, err := attributevalue.MarshalMap(rewardItem{PK: userPK(userID), SK: historySK(e), ID: e.ID, Points: e.Points, Kind: e.Kind,
		TransferID: e.TransferID, WalletID: e.WalletID, CreatedAt: e.CreatedAt})
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("marshal reward entry: %w", err)
	}
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("build condition: %w", err)
	}
	return ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: item,
		ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()}}, nil
}

func (s *Rewards) balanceAdd(userID string, delta int64, cond *expression.ConditionBuilder) (ddbtypes.TransactWriteItem, error) {
	return addTo(s.Table, key(userPK(userID), "BALANCE"), "points", delta, cond)
}

// Earn adds an earn entry and its points in one transaction, once per entry id.
func (s *Rewards) Earn(ctx context.Context, userID string, e reward.Entry) error {
	put, err := s.historyPut(userID, e)
	if err != nil {
		return err
	}
	add, err := s.balanceAdd(userID, e.Points, nil)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{put, add}})
	if reasons, ok := cancellationReasons(err); ok && reasonAt(reasons, 0) == reasonConditionalCheckFailed {
		return nil // earned before: a redelivered event
	}
	if err != nil {
		return fmt.Errorf("earn points: %w", err)
	}
	return nil
}

// History returns the points balance and a page of history, newest first.
func (s *Rewards) History(ctx context.Context, userID string, limit int, cursor string) ([]reward.Entry, string, int64, error) {
	var bal struct {
		Points int64 `dynamodbav:"points"`
	}
	if err := getInto(ctx, s.DB, s.Table, userPK(userID), "BALANCE", &bal); err != nil && !errors.Is(err, problem.ErrNotFound) {
		return nil, "", 0, err
	}
	raws, next, err := newestPage(ctx, s.DB, s.Table, userPK(userID), "H#", limit, cursor)
	if err != nil {
		return nil, "", 0, err
	}
	items := make([]reward.Entry, 0, len(raws))
	for _, raw := range raws {
		var it rewardItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, "", 0, fmt.Errorf("unmarshal reward entry: %w", err)
		}
		items = append(items, reward.Entry{ID: it.ID, Points: it.Points, Kind: it.Kind, TransferID: it.TransferID, WalletID: it.WalletID, CreatedAt: it.CreatedAt})
	}
	return items, next, bal.Points, nil
}

// Wallet reads a wallet from the ledger.
func (s *Rewards) Wallet(ctx context.Context, id string) (ledger.Wallet, error) {
	if !wallet.IsID(id) {
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
	debit, err := s.balanceAdd(r.UserID, r.Entry.Points, &enough)
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
	return s.Ledger.commit(ctx, &tx)
}
