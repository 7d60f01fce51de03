package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
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
	reasonTxConflict    = "TransactionConflict"
	entrySortKeyPrefix  = "ENTRY#"
	walletSortKey       = "WALLET"
	externalSortKey     = "ACCOUNT"
	entrySortKeyLenMax  = 200
	transactionItemsMax = 100
)

type walletItem struct {
	PK                  string    `dynamodbav:"pk"`
	SK                  string    `dynamodbav:"sk"`
	Type                string    `dynamodbav:"type"`
	ID                  string    `dynamodbav:"id"`
	OwnerID             string    `dynamodbav:"owner_id"`
	Currency            string    `dynamodbav:"currency"`
	BalanceMinor        int64     `dynamodbav:"balance"`
	HeldMinor           int64     `dynamodbav:"held"`
	AvailableMinor      int64     `dynamodbav:"available"` // balance − held, kept for conditional reserves
	Status              string    `dynamodbav:"status"`
	Version             int64     `dynamodbav:"version"`
	EntryCount          int64     `dynamodbav:"entry_count"`
	CreditDay           string    `dynamodbav:"credit_day"`
	CreditDayTotalMinor int64     `dynamodbav:"credit_day_total"`
	CreatedAt           time.Time `dynamodbav:"created_at"`
	UpdatedAt           time.Time `dynamodbav:"updated_at"`
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
	return fmt.Sprintf("%s%013d#%s", entrySortKeyPrefix, e.CreatedAt.UnixMilli(), e.ID)
}

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
	return walletItem{PK: walletPK(w.ID), SK: walletSortKey, Type: typeWallet, ID: w.ID, OwnerID: w.OwnerID, Currency: w.Currency,
		BalanceMinor: w.BalanceMinor, HeldMinor: w.HeldMinor, AvailableMinor: w.AvailableMinor(), Status: string(w.Status), Version: w.Version, EntryCount: w.EntryCount,
		CreditDay: w.CreditDay, CreditDayTotalMinor: w.CreditDayTotalMinor, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func (it walletItem) wallet() ledger.Wallet {
	return ledger.Wallet{ID: it.ID, OwnerID: it.OwnerID, Currency: it.Currency, BalanceMinor: it.BalanceMinor, HeldMinor: it.HeldMinor,
		Status: ledger.Status(it.Status), Version: it.Version, EntryCount: it.EntryCount, CreditDay: it.CreditDay,
		CreditDayTotalMinor: it.CreditDayTotalMinor, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func (it entryItem) entry() ledger.Entry {
	return ledger.Entry{ID: it.ID, PostingID: it.PostingID, Account: it.Account, Owner: it.OwnerID, Currency: it.Currency, AmountMinor: it.AmountMinor,
		Kind: it.Kind, Description: it.Description, CreatedAt: it.CreatedAt}
}

// CreateWallet writes a new wallet with its currency claim and the owner's wallet
// count in one transaction.
func (s *Ledger) CreateWallet(ctx context.Context, w ledger.Wallet) error {
	wav, err := attributevalue.MarshalMap(toItem(w))
	if err != nil {
		return fmt.Errorf("marshal wallet: %w", err)
	}
	claim, err := attributevalue.MarshalMap(map[string]string{"pk": ownerPK(w.OwnerID), "sk": "CUR#" + w.Currency, "wallet_id": w.ID})
	if err != nil {
		return fmt.Errorf("marshal claim: %w", err)
	}
	claimPut, err := absentPut(s.Table, claim)
	if err != nil {
		return err
	}
	walletPut, err := absentPut(s.Table, wav)
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
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		{Put: claimPut},
		{Update: &ddbtypes.Update{TableName: aws.String(s.Table), Key: key(ownerPK(w.OwnerID), "COUNT"),
			UpdateExpression: count.Update(), ConditionExpression: count.Condition(),
			ExpressionAttributeNames: count.Names(), ExpressionAttributeValues: count.Values()}},
		{Put: walletPut},
	}})
	if reasons, ok := cancellationReasons(err); ok {
		switch {
		case reasonAt(reasons, 0) == reasonConditionalCheckFailed:
			return wallet.ErrWalletExists
		case reasonAt(reasons, 1) == reasonConditionalCheckFailed:
			return wallet.ErrWalletLimit
		case hasReason(reasons, reasonTxConflict):
			return wallet.ErrConflict
		}
		return fmt.Errorf("create wallet: cancelled: %v", reasons)
	}
	if err != nil {
		return fmt.Errorf("create wallet: %w", err)
	}
	return nil
}

// Wallet reads one wallet with a strongly consistent read.
func (s *Ledger) Wallet(ctx context.Context, id string) (ledger.Wallet, error) {
	var it walletItem
	if err := getInto(ctx, s.DB, s.Table, walletPK(id), walletSortKey, &it); err != nil {
		return ledger.Wallet{}, err
	}
	return it.wallet(), nil
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
	return s.commit(ctx, &tx)
}

// txn collects the items of one TransactWriteItems and, in the order they were added,
// what a failed condition at a position means. The order decides which error is
// returned when several conditions fail at once, so it is fixed: wallets first.
type txn struct {
	items  []ddbtypes.TransactWriteItem
	checks []check
}

// check names the error of a failed condition at item position at, given the item as
// it was (ReturnValuesOnConditionCheckFailure ALL_OLD; empty when absent or not asked).
type check struct {
	at      int
	explain func(old map[string]ddbtypes.AttributeValue) error
}

// add appends an item whose failed condition explain names (nil: no condition).
func (tx *txn) add(it ddbtypes.TransactWriteItem, explain func(map[string]ddbtypes.AttributeValue) error) {
	if explain != nil {
		tx.checks = append(tx.checks, check{at: len(tx.items), explain: explain})
	}
	tx.items = append(tx.items, it)
}

// conflict explains a failed condition as a lost race: decide again on fresh state.
func conflict(map[string]ddbtypes.AttributeValue) error { return wallet.ErrConflict }

func (tx *txn) addDeltas(s *Ledger, ds []ledger.Delta, p *ledger.Posting) error {
	for _, d := range ds {
		var entries int64
		if p != nil {
			entries = p.EntriesOn(d.WalletID)
		}
		it, err := s.deltaUpdate(d, entries)
		if err != nil {
			return err
		}
		tx.add(it, func(old map[string]ddbtypes.AttributeValue) error { return deltaRefusal(d, old) })
	}
	return nil
}

func (tx *txn) addPosting(s *Ledger, p *ledger.Posting, ds []ledger.Delta) error {
	if p == nil {
		return nil
	}
	walletIDs := map[string]bool{}
	for _, d := range ds {
		walletIDs[d.WalletID] = true
	}
	items, err := s.postingItems(*p, walletIDs)
	if err != nil {
		return err
	}
	for _, it := range items {
		tx.add(it, nil)
	}
	return nil
}

func (tx *txn) addCompletion(s *Ledger, c *idempotency.Completion) error {
	if c == nil {
		return nil
	}
	it, err := s.Idempotency.completionItem(*c, s.now())
	if err != nil {
		return err
	}
	// our claim was taken over by a request after it expired: nothing was written
	tx.add(it, func(map[string]ddbtypes.AttributeValue) error { return idempotency.ErrInProgress })
	return nil
}

func (s *Ledger) commit(ctx context.Context, tx *txn) error {
	if len(tx.items) > transactionItemsMax {
		return fmt.Errorf("commit: %d items exceed the transaction limit", len(tx.items))
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx.items})
	var tce *ddbtypes.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, c := range tx.checks {
			if c.at < len(tce.CancellationReasons) && aws.ToString(tce.CancellationReasons[c.at].Code) == reasonConditionalCheckFailed {
				return c.explain(tce.CancellationReasons[c.at].Item)
			}
		}
		reasons, _ := cancellationReasons(err)
		if hasReason(reasons, reasonTxConflict) {
			return wallet.ErrConflict
		}
		return fmt.Errorf("commit: cancelled: %v", reasons)
	}
	var txConflict *ddbtypes.TransactionConflictException
	if errors.As(err, &txConflict) {
		return wallet.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// deltaUpdate adds a delta to a wallet without reading it: ADD to balance, held and
// available (kept equal to balance − held so that a condition can test it), and to
// entry_count; the conditions are the rules of ledger.Delta.Apply, so the database
// checks them on the stored wallet and returns it when they fail.
func (s *Ledger) deltaUpdate(d ledger.Delta, entries int64) (ddbtypes.TransactWriteItem, error) {
	update := expression.Set(expression.Name("updated_at"), expression.Value(d.Now))
	for _, a := range []struct {
		name  string
		delta int64
	}{{"balance", d.BalanceMinor}, {"held", d.HeldMinor}, {"available", d.AvailableMinor()}, {"entry_count", entries}} {
		if a.delta != 0 {
			update = update.Add(expression.Name(a.name), expression.Value(a.delta))
		}
	}
	cond := expression.AttributeExists(expression.Name("pk"))
	if d.RequireActive {
		cond = cond.And(expression.Name("status").Equal(expression.Value(string(ledger.StatusActive))))
	}
	if d.HeldMinor < 0 {
		cond = cond.And(expression.Name("held").GreaterThanEqual(expression.Value(-d.HeldMinor)))
	}
	if a := d.AvailableMinor(); a < 0 {
		cond = cond.And(expression.Name("available").GreaterThanEqual(expression.Value(-a)))
	}
	if d.BalanceMinor > 0 {
		cond = cond.And(expression.Name("balance").LessThanEqual(expression.Value(math.MaxInt64 - d.BalanceMinor)))
	}
	if d.HeldMinor > 0 {
		cond = cond.And(expression.Name("held").LessThanEqual(expression.Value(math.MaxInt64 - d.HeldMinor)))
	}
	if c := d.Credit; c != nil {
		if c.Continue {
			update = update.Add(expression.Name("credit_day_total"), expression.Value(d.BalanceMinor))
			cond = cond.And(expression.Name("credit_day").Equal(expression.Value(c.Day)),
				expression.Name("credit_day_total").LessThanEqual(expression.Value(c.LimitMinor-d.BalanceMinor)))
		} else {
			update = update.Set(expression.Name("credit_day"), expression.Value(c.Day)).
				Set(expression.Name("credit_day_total"), expression.Value(d.BalanceMinor))
			cond = cond.And(expression.Or(expression.AttributeNotExists(expression.Name("credit_day")),
				expression.Name("credit_day").NotEqual(expression.Value(c.Day))))
		}
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("build wallet delta: %w", err)
	}
	return ddbtypes.TransactWriteItem{Update: &ddbtypes.Update{TableName: aws.String(s.Table), Key: key(walletPK(d.WalletID), walletSortKey),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld}}, nil
}

// deltaRefusal names a refused delta from the wallet as it was, by the same rules.
func deltaRefusal(d ledger.Delta, old map[string]ddbtypes.AttributeValue) error {
	if len(old) == 0 {
		return problem.ErrNotFound
	}
	var it walletItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return fmt.Errorf("unmarshal refused wallet: %w", err)
	}
	if _, err := d.Apply(it.wallet()); err != nil {
		return err
	}
	return wallet.ErrConflict // no rule explains it: decide again on fresh state
}

// SetStatus writes a status change conditional on the version it was decided at; a
// close also needs a zero balance and no holds at the time of the write, since money
// changes do not move the version.
func (s *Ledger) SetStatus(ctx context.Context, before, after ledger.Wallet) error {
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
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(walletPK(after.ID), walletSortKey),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if isConditionFailed(err) {
		return wallet.ErrConflict // re-read: the service decides again (and names a refusal)
	}
	if err != nil {
		return fmt.Errorf("set status of %s: %w", after.ID, err)
	}
	return nil
}

func (s *Ledger) postingItems(p ledger.Posting, walletIDs map[string]bool) ([]ddbtypes.TransactWriteItem, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var items []ddbtypes.TransactWriteItem
	externalDelta := map[string]int64{}
	var externalOrder []string
	for _, e := range p.Entries {
		it := entryItem{Type: typeEntry, ID: e.ID, PostingID: e.PostingID, Account: e.Account, OwnerID: e.Owner, Currency: e.Currency, AmountMinor: e.AmountMinor,
			Kind: e.Kind, Description: e.Description, CreatedAt: e.CreatedAt}
		if walletIDs[e.Account] {
			it.PK, it.SK = walletPK(e.Account), entrySK(e)
		} else {
			it.PK, it.SK = externalPK(e.Account, p.ID), entrySortKeyPrefix+e.ID
			if _, seen := externalDelta[e.Account]; !seen {
				externalOrder = append(externalOrder, e.Account)
			}
			externalDelta[e.Account] += e.AmountMinor
		}
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return nil, fmt.Errorf("marshal entry: %w", err)
		}
		put, err := absentPut(s.Table, av)
		if err != nil {
			return nil, err
		}
		items = append(items, ddbtypes.TransactWriteItem{Put: put})
	}
	for _, acct := range externalOrder {
		upd, err := expression.NewBuilder().WithUpdate(
			expression.Add(expression.Name("balance"), expression.Value(externalDelta[acct])).
				Set(expression.Name("type"), expression.Value(typeExternal)).
				Set(expression.Name("account"), expression.Value(acct))).Build()
		if err != nil {
			return nil, fmt.Errorf("build external update: %w", err)
		}
		items = append(items, ddbtypes.TransactWriteItem{Update: &ddbtypes.Update{TableName: aws.String(s.Table),
			Key: key(externalPK(acct, p.ID), externalSortKey), UpdateExpression: upd.Update(),
			ExpressionAttributeNames: upd.Names(), ExpressionAttributeValues: upd.Values()}})
	}
	return items, nil
}

// Entries returns a page of a wallet's entries, newest first, older than the position
// after ("" for the newest); the position returned is the last entry's sort key, ""
// when the page is not full. A page costs one query.
func (s *Ledger) Entries(ctx context.Context, walletID string, limit int, after string) ([]ledger.Entry, string, error) {
	kc := expression.Key("pk").Equal(expression.Value(walletPK(walletID)))
	if after != "" {
		if !strings.HasPrefix(after, entrySortKeyPrefix) || len(after) > entrySortKeyLenMax {
			return nil, "", wallet.ErrInvalidCursor
		}
		kc = kc.And(expression.Key("sk").LessThan(expression.Value(after)))
	} else {
		kc = kc.And(expression.Key("sk").BeginsWith(entrySortKeyPrefix))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)}) // #nosec G115 -- limit ≤ 200
	if err != nil {
		return nil, "", fmt.Errorf("query entries: %w", err)
	}
	entries := make([]ledger.Entry, 0, len(out.Items))
	next := ""
	for _, item := range out.Items {
		var it entryItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, "", fmt.Errorf("unmarshal entry: %w", err)
		}
		if it.Type != typeEntry {
			continue
		}
		entries = append(entries, it.entry())
		next = it.SK
	}
	if len(out.Items) < limit {
		next = ""
	}
	return entries, next, nil
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
			case typeEntry:
				var it entryItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return snap, fmt.Errorf("unmarshal entry: %w", err)
				}
				snap.Entries = append(snap.Entries, it.entry())
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

func (s *Ledger) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func reasonAt(reasons []string, i int) string {
	if i < len(reasons) {
		return reasons[i]
	}
	return ""
}

func hasReason(reasons []string, code string) bool {
	for _, r := range reasons {
		if r == code {
			return true
		}
	}
	return false
}
