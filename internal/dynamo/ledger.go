package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Ledger keeps wallets, entries and external accounts in one table (pk, sk):
//
//	pk WALLET#<id>             sk WALLET              the wallet: balance, held, available, status, version, entry_count
//	pk WALLET#<id>             sk ENTRY#<created_at, unix ms, 13 digits>#<entry id>  its entries, oldest first
//	pk ACCOUNT#<acct>#<shard>  sk ACCOUNT             one shard of an external account's balance
//	pk ACCOUNT#<acct>#<shard>  sk ENTRY#<posting id>  that shard's entries
//	pk OWNER#<user>            sk CUR#<code>          the owner's one wallet in that currency
//	pk OWNER#<user>            sk COUNT               how many wallets the owner has
//
// External accounts (the funding account every credit draws on) are hot: each one is
// split into ExternalShards items, updated with ADD and no condition, so concurrent
// postings rarely touch the same item (a DynamoDB transaction conflict).
type Ledger struct {
	DB          API
	Table       string
	Idempotency *Idempotency // writes the completion item of a guarded change
	Audit       *Audit       // writes an admin action's audit record; nil where none is taken
	Now         func() time.Time
}

var _ wallet.Store = (*Ledger)(nil)

// Table layout constants.
const (
	ExternalShards      = 8
	typeWallet          = "wallet"
	typeEntry           = "entry"
	typeExternal        = "external"
	scanPagesMax        = 10_000
	walletsPerOwnerMax  = wallet.WalletsPerOwnerMax
	entrySortKeyPrefix  = "ENTRY#"
	walletSortKey       = "WALLET"
	externalSortKey     = "ACCOUNT"
	entrySortKeyLenMax  = 200
	transactionItemsMax = 100
)

type walletItem struct {
	PK             string `dynamodbav:"pk"`
	SK             string `dynamodbav:"sk"`
	Type           string `dynamodbav:"type"`
	ID             string `dynamodbav:"id"`
	OwnerID        string `dynamodbav:"owner_id"`
	Currency       string `dynamodbav:"currency"`
	BalanceMinor   int64  `dynamodbav:"balance"`
	HeldMinor      int64  `dynamodbav:"held"`
	AvailableMinor int64  `dynamodbav:"available"` // balance − held, kept for conditional reserves
	Status         string `dynamodbav:"status"`
	Version        int64  `dynamodbav:"version"`
	EntryCount     int64  `dynamodbav:"entry_count"`
	ReceiveShards  int    `dynamodbav:"receive_shards,omitempty"`
	// Swept counts, by shard number, what sweeps moved from each receive shard, ever.
	Swept               map[string]int64 `dynamodbav:"shards_swept,omitempty"`
	CreditDay           string           `dynamodbav:"credit_day"`
	CreditDayTotalMinor int64            `dynamodbav:"credit_day_total"`
	WithdrawDay         string           `dynamodbav:"withdraw_day,omitempty"`
	WithdrawDayTotal    int64            `dynamodbav:"withdraw_day_total,omitempty"`
	CreatedAt           time.Time        `dynamodbav:"created_at"`
	UpdatedAt           time.Time        `dynamodbav:"updated_at"`
}

type entryItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	Type        string    `dynamodbav:"type"`
	ID          string    `dynamodbav:"id"`
	PostingID   string    `dynamodbav:"posting_id"`
	Account     string    `dynamodbav:"account"`
	OwnerID     string    `dynamodbav:"owner_id,omitempty"`
	Currency    string    `dynamodbav:"currency"`
	AmountMinor int64     `dynamodbav:"amount"`
	Kind        string    `dynamodbav:"kind"`
	Description string    `dynamodbav:"description,omitempty"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
}

type externalItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Type         string `dynamodbav:"type"`
	Account      string `dynamodbav:"account"`
	BalanceMinor int64  `dynamodbav:"balance"`
}

func walletPK(id string) string { return "WALLET#" + id }
func ownerPK(id string) string  { return "OWNER#" + id }

// entrySK orders a wallet's entries by time, ties by entry id.
func entrySK(e ledger.Entry) string {
	return entrySortKeyPrefix + byTime(e.CreatedAt, e.ID)
}

// byTime is a sort key that orders items by time (unix ms, 13 digits, so strings sort
// as numbers until the year 2286), ties by id.
func byTime(at time.Time, id string) string { return fmt.Sprintf("%013d#%s", at.UnixMilli(), id) }

func externalPK(account, postingID string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(postingID))
	return fmt.Sprintf("ACCOUNT#%s#%d", account, h.Sum32()%ExternalShards)
}

func key(pk, sk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"pk": &ddbtypes.AttributeValueMemberS{Value: pk},
		"sk": &ddbtypes.AttributeValueMemberS{Value: sk},
	}
}

func toItem(w ledger.Wallet) walletItem {
	var swept map[string]int64
	for k := 1; k <= w.ReceiveShards; k++ { // a sweep adds to its shard's count
		if swept == nil {
			swept = map[string]int64{}
		}
		swept[strconv.Itoa(k)] = 0
	}
	return walletItem{Swept: swept, PK: walletPK(w.ID), SK: walletSortKey, Type: typeWallet, ID: w.ID, OwnerID: w.OwnerID, Currency: w.Currency,
		BalanceMinor: w.BalanceMinor, HeldMinor: w.HeldMinor, AvailableMinor: w.AvailableMinor(), Status: string(w.Status), Version: w.Version, EntryCount: w.EntryCount,
		ReceiveShards: w.ReceiveShards, CreditDay: w.CreditDay, CreditDayTotalMinor: w.CreditDayTotalMinor, WithdrawDay: w.WithdrawDay, WithdrawDayTotal: w.WithdrawDayTotalMinor,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func (it walletItem) wallet() ledger.Wallet {
	return ledger.Wallet{ID: it.ID, OwnerID: it.OwnerID, Currency: it.Currency, BalanceMinor: it.BalanceMinor, HeldMinor: it.HeldMinor,
		Status: ledger.Status(it.Status), Version: it.Version, EntryCount: it.EntryCount, ReceiveShards: it.ReceiveShards, CreditDay: it.CreditDay,
		CreditDayTotalMinor: it.CreditDayTotalMinor, WithdrawDay: it.WithdrawDay, WithdrawDayTotalMinor: it.WithdrawDayTotal,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func (it entryItem) entry() ledger.Entry {
	return ledger.Entry{ID: it.ID, PostingID: it.PostingID, Account: it.Account, Owner: it.OwnerID, Currency: it.Currency, AmountMinor: it.AmountMinor,
		Kind: it.Kind, Description: it.Description, CreatedAt: it.CreatedAt}
}

// CreateWallet writes a new wallet with its currency claim, the owner's wallet count
// and its receive shards in one transaction.
func (s *Ledger) CreateWallet(ctx context.Context, w ledger.Wallet) error {
	claimPut, err := absentPut(s.Table, "currency claim", map[string]string{"pk": ownerPK(w.OwnerID), "sk": "CUR#" + w.Currency, "wallet_id": w.ID})
	if err != nil {
		return err
	}
	walletPut, err := absentPut(s.Table, "wallet", toItem(w))
	if err != nil {
		return err
	}
	count, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("wallets"), expression.Plus(expression.IfNotExists(expression.Name("wallets"), expression.Value(0)), expression.Value(1)))).
		WithCondition(expression.Or(
			expression.AttributeNotExists(expression.Name("wallets")),
			expression.Name("wallets").LessThan(expression.Value(walletsPerOwnerMax)),
		)).Build()
	if err != nil {
		return fmt.Errorf("build count update: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: claimPut}, refuseWith(wallet.ErrWalletExists))
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(ownerPK(w.OwnerID), "COUNT"), count)}, refuseWith(wallet.ErrWalletLimit))
	tx.add(ddbtypes.TransactWriteItem{Put: walletPut}, nil)
	shards, err := s.shardPuts(w)
	if err != nil {
		return err
	}
	for _, it := range shards {
		tx.add(it, nil)
	}
	return tx.commit(ctx, s.DB)
}

// Wallet reads one wallet with a strongly consistent read: the wallet item, plus its
// receive shards when it has any (ledger.WithShards; one BatchGetItem).
func (s *Ledger) Wallet(ctx context.Context, id string) (ledger.Wallet, error) {
	var it walletItem
	if err := getItem(ctx, s.DB, s.Table, key(walletPK(id), walletSortKey), &it); err != nil {
		return ledger.Wallet{}, err
	}
	return s.withShards(ctx, it)
}

// WalletsOf lists an owner's wallets through their currency claims (strongly
// consistent, at most WalletsPerOwnerMax reads).
func (s *Ledger) WalletsOf(ctx context.Context, ownerID string) ([]ledger.Wallet, error) {
	ids, err := s.WalletIDsOf(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	wallets := make([]ledger.Wallet, 0, len(ids))
	for _, id := range ids {
		w, err := s.Wallet(ctx, id)
		if err != nil {
			return nil, err
		}
		wallets = append(wallets, w)
	}
	return wallets, nil
}

// WalletIn reads an owner's wallet in a currency through its currency claim;
// problem.ErrNotFound when the owner has none.
func (s *Ledger) WalletIn(ctx context.Context, ownerID, currency string) (ledger.Wallet, error) {
	var c struct {
		WalletID string `dynamodbav:"wallet_id"`
	}
	if err := getItem(ctx, s.DB, s.Table, key(ownerPK(ownerID), "CUR#"+currency), &c); err != nil {
		return ledger.Wallet{}, err
	}
	return s.Wallet(ctx, c.WalletID)
}

// WalletIDsOf reads an owner's wallet ids from their currency claims (one strongly
// consistent query; an owner has at most WalletsPerOwnerMax).
func (s *Ledger) WalletIDsOf(ctx context.Context, ownerID string) ([]string, error) {
	kc := expression.Key("pk").Equal(expression.Value(ownerPK(ownerID))).And(expression.Key("sk").BeginsWith("CUR#"))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true),
		Limit: aws.Int32(walletsPerOwnerMax)})
	if err != nil {
		return nil, fmt.Errorf("query wallets of %s: %w", ownerID, err)
	}
	ids := make([]string, 0, len(out.Items))
	for _, item := range out.Items {
		var c struct {
			WalletID string `dynamodbav:"wallet_id"`
		}
		if err := attributevalue.UnmarshalMap(item, &c); err != nil {
			return nil, fmt.Errorf("unmarshal claim: %w", err)
		}
		ids = append(ids, c.WalletID)
	}
	return ids, nil
}

// Commit writes a change in one transaction: each wallet delta as an update that adds
// to the stored amounts under the delta's rules, the posting's entries (each
// conditional on not existing), the external account shards, and the idempotency
// completion when there is one.
func (s *Ledger) Commit(ctx context.Context, c wallet.Change) error {
	var tx txn
	if err := tx.addDeltas(s, c.Deltas, c.Posting); err != nil {
		return err
	}
	if err := tx.addPosting(s, c.Posting, c.Deltas); err != nil {
		return err
	}
	if err := tx.addCompletion(s, c.Completion); err != nil {
		return err
	}
	return s.commitSweeping(ctx, &tx)
}

// SetStatus writes a status change conditional on the version it was decided at; a
// close also needs a zero balance and no holds at the time of the write, since money
// changes do not move the version. A wallet's receive shards take the same status in
// the same transaction (and, for a close, must be empty).
func (s *Ledger) SetStatus(ctx context.Context, before, after ledger.Wallet, rec *audit.Record) error {
	update := expression.Set(expression.Name("status"), expression.Value(string(after.Status))).
		Set(expression.Name("version"), expression.Value(after.Version)).
		Set(expression.Name("updated_at"), expression.Value(after.UpdatedAt))
	cond := expression.Name("version").Equal(expression.Value(before.Version))
	if after.Status == ledger.StatusClosed {
		cond = cond.And(expression.Name("balance").Equal(expression.Value(0)), expression.Name("held").Equal(expression.Value(0)))
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build status update: %w", err)
	}
	change := updateOf(s.Table, key(walletPK(after.ID), walletSortKey), expr)
	if rec != nil || after.ReceiveShards > 0 { // an admin's change and its audit record, the shards: one transaction
		var tx txn
		tx.add(ddbtypes.TransactWriteItem{Update: change}, conflict)
		shards, err := s.shardStatusItems(after)
		if err != nil {
			return err
		}
		for _, it := range shards {
			tx.add(it, conflict)
		}
		if err := tx.addAudit(s.Audit, rec); err != nil {
			return err
		}
		return tx.commit(ctx, s.DB)
	}
	_, err = updateAlone(ctx, s.DB, change, ddbtypes.ReturnValueNone)
	if isConditionFailed(err) {
		return retry.ErrConflict // re-read: the service decides again (and names a refusal)
	}
	if err != nil {
		return fmt.Errorf("set status of %s: %w", after.ID, err)
	}
	return nil
}

func (s *Ledger) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
