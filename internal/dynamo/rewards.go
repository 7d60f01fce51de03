package dynamo

import (
	"context"
	"encoding/base64"
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
//	pk USER#<user>  sk H#<created, unix ms>#<entry id>  a redemption's or a clawback's line of
//	                                                    the history
//	pk USER#<user>  sk EARNED#<entry id>               a transfer's claim: earn-<transfer id>,
//	                                                    written with the earn (points, amount),
//	                                                    so a transfer earns once whatever the
//	                                                    event's time; its refunds' total and the
//	                                                    points they took back (refunded, clawed);
//	                                                    and the earn's line of the history
//	pk USER#<user>  sk CLAWBACK#<refund id>            a refund's take-back, written once
//
// The history is the table's index by-time (pk, h): every line carries h, H#<created,
// unix ms>#<entry id>, and its points in h_points (a claim's own points are the grant). An
// earn's line is its claim, so the earn's transaction writes one item fewer. A
// redemption spans this table and the ledger table in one transaction.
type Rewards struct {
	DB     API
	Table  string
	Ledger *Ledger
}

var _ reward.Store = (*Rewards)(nil)

type rewardItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	H          string    `dynamodbav:"h"`        // the index's sort key: historySK
	LinePoints int64     `dynamodbav:"h_points"` // the line's points (a claim's points attribute is its grant)
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

// RewardsByTime is the rewards table's index of a user's history (template.yaml: pk, h).
const RewardsByTime = "by-time"

// RewardsHistoryAttributes are what a line of the history shows: all the index projects
// besides the keys (template.yaml's NonKeyAttributes; internal/contract holds them equal)
// and all History reads.
var RewardsHistoryAttributes = []string{"id", "h_points", "currency", "kind", "transfer_id", "wallet_id", "created_at"}

// historyPut is a redemption's or a clawback's line of the history, its own item.
func (s *Rewards) historyPut(userID string, e reward.Entry) (ddbtypes.TransactWriteItem, error) {
	put, err := absentPut(s.Table, "reward entry", rewardItem{PK: userPK(userID), SK: historySK(e), H: historySK(e), LinePoints: e.Points,
		Points: e.Points, ID: e.ID, Currency: e.Currency, Kind: e.Kind, TransferID: e.TransferID, WalletID: e.WalletID, CreatedAt: e.CreatedAt})
	return ddbtypes.TransactWriteItem{Put: put}, err
}

// historyLine is what makes an earn's claim its line of the history: the index's key and
// what the line shows.
func historyLine(e reward.Entry, upd expression.UpdateBuilder) expression.UpdateBuilder {
	return upd.Set(expression.Name("h"), expression.Value(historySK(e))).
		Set(expression.Name("h_points"), expression.Value(e.Points)).
		Set(expression.Name("id"), expression.Value(e.ID)).
		Set(expression.Name("currency"), expression.Value(e.Currency)).
		Set(expression.Name("kind"), expression.Value(e.Kind)).
		Set(expression.Name("transfer_id"), expression.Value(e.TransferID)).
		Set(expression.Name("created_at"), expression.Value(e.CreatedAt))
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
	in, err := s.historyQuery(userID, limit, cursor)
	if err != nil {
		return nil, "", nil, err
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", nil, fmt.Errorf("query points history: %w", err)
	}
	items := make([]reward.Entry, 0, len(out.Items))
	var it rewardItem
	for _, raw := range out.Items {
		it = rewardItem{}
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, "", nil, fmt.Errorf("unmarshal reward entry: %w", err)
		}
		items = append(items, reward.Entry{ID: it.ID, Points: it.LinePoints, Currency: it.Currency, Kind: it.Kind,
			TransferID: it.TransferID, WalletID: it.WalletID, CreatedAt: it.CreatedAt})
	}
	next := ""
	if len(items) > 0 && len(out.LastEvaluatedKey) > 0 {
		next = base64.RawURLEncoding.EncodeToString([]byte(it.SK + cursorSep + it.H))
	}
	return items, next, balances, nil
}

// cursorSep parts a history cursor's table sort key from its index sort key (an index
// query resumes from both); neither holds it.
const cursorSep = "\n"

// historyQuery is a page of a user's history in the index, newest first, after the
// cursor ("": from the newest). An index read is eventually consistent (DynamoDB refuses
// ConsistentRead on a global secondary index): a list shown to a person.
func (s *Rewards) historyQuery(userID string, limit int, cursor string) (*dynamodb.QueryInput, error) {
	proj := expression.NamesList(expression.Name("pk"), expression.Name("sk"), expression.Name("h"))
	for _, name := range RewardsHistoryAttributes {
		proj = proj.AddNames(expression.Name(name))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(expression.Key("pk").Equal(expression.Value(userPK(userID)))).
		WithProjection(proj).Build()
	if err != nil {
		return nil, fmt.Errorf("build history query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(RewardsByTime),
		KeyConditionExpression: expr.KeyCondition(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit))} // #nosec G115 -- the service bounds limit to a page size
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		sk, h, ok := strings.Cut(string(raw), cursorSep)
		if err != nil || !ok || !strings.HasPrefix(h, "H#") || sk == "" {
			return nil, op.ErrInvalidCursor
		}
		in.ExclusiveStartKey = key(userPK(userID), sk)
		in.ExclusiveStartKey["h"] = &ddbtypes.AttributeValueMemberS{Value: h}
	}
	return in, nil
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
