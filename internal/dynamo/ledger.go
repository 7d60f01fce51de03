package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Ledger keeps wallets, entries and external accounts in one table (pk, sk):
//
//	pk WALLET#<id>             sk WALLET              the wallet: balance, held, status, version, entry_seq
//	pk WALLET#<id>             sk ENTRY#<seq, 19 digits>  its entries, numbered 1, 2, … (newest = entry_seq)
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
	cursorPrefix        = "e1:"
	batchGetKeysMax     = 100
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
	EntrySeq            int64     `dynamodbav:"entry_seq"`
	CreditDay           string    `dynamodbav:"credit_day"`
	CreditDayTotalMinor int64     `dynamodbav:"credit_day_total"`
	CreatedAt           time.Time `dynamodbav:"created_at"`
	UpdatedAt           time.Time `dynamodbav:"updated_at"`
}

type entryItem struct {
	PK                string    `dynamodbav:"pk"`
	SK                string    `dynamodbav:"sk"`
	Type              string    `dynamodbav:"type"`
	ID                string    `dynamodbav:"id"`
	PostingID         string    `dynamodbav:"posting_id"`
	Account           string    `dynamodbav:"account"`
	OwnerID           string    `dynamodbav:"owner_id,omitempty"`
	Currency          string    `dynamodbav:"currency"`
	AmountMinor       int64     `dynamodbav:"amount"`
	BalanceAfterMinor int64     `dynamodbav:"balance_after"`
	Seq               int64     `dynamodbav:"seq"`
	Kind              string    `dynamodbav:"kind"`
	Description       string    `dynamodbav:"description,omitempty"`
	CreatedAt         time.Time `dynamodbav:"created_at"`
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
func entrySK(seq int64) string  { return fmt.Sprintf("%s%019d", entrySortKeyPrefix, seq) }

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
		BalanceMinor: w.BalanceMinor, HeldMinor: w.HeldMinor, AvailableMinor: w.AvailableMinor(), Status: string(w.Status), Version: w.Version, EntrySeq: w.EntrySeq,
		CreditDay: w.CreditDay, CreditDayTotalMinor: w.CreditDayTotalMinor, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func (it walletItem) wallet() ledger.Wallet {
	return ledger.Wallet{ID: it.ID, OwnerID: it.OwnerID, Currency: it.Currency, BalanceMinor: it.BalanceMinor, HeldMinor: it.HeldMinor,
		Status: ledger.Status(it.Status), Version: it.Version, EntrySeq: it.EntrySeq, CreditDay: it.CreditDay,
		CreditDayTotalMinor: it.CreditDayTotalMinor, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func (it entryItem) entry() ledger.Entry {
	return ledger.Entry{ID: it.ID, PostingID: it.PostingID, Account: it.Account, Owner: it.OwnerID, Currency: it.Currency, AmountMinor: it.AmountMinor,
		BalanceAfterMinor: it.BalanceAfterMinor, Seq: it.Seq, Kind: it.Kind, Description: it.Description, CreatedAt: it.CreatedAt}
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
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
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
		{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: claim, ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()}},
		{Update: &ddbtypes.Update{TableName: aws.String(s.Table), Key: key(ownerPK(w.OwnerID), "COUNT"),
			UpdateExpression: count.Update(), ConditionExpression: count.Condition(),
			ExpressionAttributeNames: count.Names(), ExpressionAttributeValues: count.Values()}},
		{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: wav, ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()}},
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
	wallets := make([]ledger.Wallet, 0, len(out.Items))
	for _, item := range out.Items {
		var c struct {
			WalletID string `dynamodbav:"wallet_id"`
		}
		if err := attributevalue.UnmarshalMap(item, &c); err != nil {
			return nil, fmt.Errorf("unmarshal claim: %w", err)
		}
		w, err := s.Wallet(ctx, c.WalletID)
		if err != nil {
			return nil, err
		}
		wallets = append(wallets, w)
	}
	return wallets, nil
}

// Commit writes a change in one transaction: each wallet conditional on the version it
// was read at, the posting's entries (each conditional on not existing), the external
// account shards, and the idempotency completion when there is one.
func (s *Ledger) Commit(ctx context.Context, c wallet.Change) error {
	var tx txn
	if err := tx.addWallets(s, c.Wallets); err != nil {
		return err
	}
	if err := tx.addPosting(s, c.Posting, c.Wallets); err != nil {
		return err
	}
	if err := tx.addCompletion(s, c.Completion); err != nil {
		return err
	}
	return s.commit(ctx, &tx)
}

// txn collects the items of one TransactWriteItems and remembers which positions
// carry the conditions that mean "someone else moved first".
type txn struct {
	items        []ddbtypes.TransactWriteItem
	conflictAt   []int // a failed condition here: re-read and retry (wallet.ErrConflict)
	completionAt int   // a failed condition here: the idempotency claim was lost
	hasComplete  bool
	failAt       map[int]error // a failed condition here: this error
	reserveAt    map[int]bool  // a failed condition here: a refused reserve (see reserveRefusal)
}

// addFailing adds an item whose failed condition means err.
func (tx *txn) addFailing(it ddbtypes.TransactWriteItem, err error) {
	if tx.failAt == nil {
		tx.failAt = map[int]error{}
	}
	tx.failAt[len(tx.items)] = err
	tx.items = append(tx.items, it)
}

func (tx *txn) addWallets(s *Ledger, ws []wallet.WalletChange) error {
	for _, wc := range ws {
		it, err := s.walletUpdate(wc)
		if err != nil {
			return err
		}
		if wc.ReserveMinor > 0 {
			if tx.reserveAt == nil {
				tx.reserveAt = map[int]bool{}
			}
			tx.reserveAt[len(tx.items)] = true
		} else {
			tx.conflictAt = append(tx.conflictAt, len(tx.items))
		}
		tx.items = append(tx.items, it)
	}
	return nil
}

func (tx *txn) addPosting(s *Ledger, p *ledger.Posting, ws []wallet.WalletChange) error {
	if p == nil {
		return nil
	}
	walletIDs := map[string]bool{}
	for _, wc := range ws {
		walletIDs[wc.After.ID] = true
	}
	items, err := s.postingItems(*p, walletIDs)
	if err != nil {
		return err
	}
	tx.items = append(tx.items, items...)
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
	tx.completionAt, tx.hasComplete = len(tx.items), true
	tx.items = append(tx.items, it)
	return nil
}

func (s *Ledger) commit(ctx context.Context, tx *txn) error {
	if len(tx.items) > transactionItemsMax {
		return fmt.Errorf("commit: %d items exceed the transaction limit", len(tx.items))
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx.items})
	if reasons, ok := cancellationReasons(err); ok {
		var tce *ddbtypes.TransactionCanceledException
		if errors.As(err, &tce) {
			for i := range tx.reserveAt {
				if reasonAt(reasons, i) == reasonConditionalCheckFailed && i < len(tce.CancellationReasons) {
					return reserveRefusal(tce.CancellationReasons[i].Item)
				}
			}
		}
		for _, i := range tx.conflictAt {
			if reasonAt(reasons, i) == reasonConditionalCheckFailed {
				return wallet.ErrConflict
			}
		}
		for i, ferr := range tx.failAt {
			if reasonAt(reasons, i) == reasonConditionalCheckFailed {
				return ferr
			}
		}
		if tx.hasComplete && reasonAt(reasons, tx.completionAt) == reasonConditionalCheckFailed {
			return idempotency.ErrInProgress // our claim was taken over; nothing was written
		}
		if hasReason(reasons, reasonTxConflict) {
			return wallet.ErrConflict
		}
		return fmt.Errorf("commit: cancelled: %v", reasons)
	}
	var conflict *ddbtypes.TransactionConflictException
	if errors.As(err, &conflict) {
		return wallet.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Ledger) walletUpdate(wc wallet.WalletChange) (ddbtypes.TransactWriteItem, error) {
	a := wc.After
	if wc.ReserveMinor > 0 {
		return s.walletReserve(a.ID, wc.ReserveMinor, a.UpdatedAt)
	}
	update := expression.Set(expression.Name("balance"), expression.Value(a.BalanceMinor)).
		Set(expression.Name("held"), expression.Value(a.HeldMinor)).
		Set(expression.Name("available"), expression.Value(a.AvailableMinor())).
		Set(expression.Name("status"), expression.Value(string(a.Status))).
		Set(expression.Name("version"), expression.Value(a.Version)).
		Set(expression.Name("entry_seq"), expression.Value(a.EntrySeq)).
		Set(expression.Name("credit_day"), expression.Value(a.CreditDay)).
		Set(expression.Name("credit_day_total"), expression.Value(a.CreditDayTotalMinor)).
		Set(expression.Name("updated_at"), expression.Value(a.UpdatedAt))
	cond := expression.Name("version").Equal(expression.Value(wc.Before.Version))
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("build wallet update: %w", err)
	}
	return ddbtypes.TransactWriteItem{Update: &ddbtypes.Update{TableName: aws.String(s.Table), Key: key(walletPK(a.ID), walletSortKey),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}, nil
}

// walletReserve holds an amount without a read-modify-write: it adds to held and takes
// from available only while available covers it and the wallet is active (the rule of
// ledger.Hold), and returns the old item when refused so the refusal can be named.
func (s *Ledger) walletReserve(id string, amountMinor int64, now time.Time) (ddbtypes.TransactWriteItem, error) {
	update := expression.Add(expression.Name("held"), expression.Value(amountMinor)).
		Add(expression.Name("available"), expression.Value(-amountMinor)).
		Add(expression.Name("version"), expression.Value(1)).
		Set(expression.Name("updated_at"), expression.Value(now))
	cond := expression.And(
		expression.Name("available").GreaterThanEqual(expression.Value(amountMinor)),
		expression.Name("status").Equal(expression.Value(string(ledger.StatusActive))),
	)
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return ddbtypes.TransactWriteItem{}, fmt.Errorf("build reserve: %w", err)
	}
	return ddbtypes.TransactWriteItem{Update: &ddbtypes.Update{TableName: aws.String(s.Table), Key: key(walletPK(id), walletSortKey),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld}}, nil
}

// reserveRefusal names a refused reserve from the wallet as it was.
func reserveRefusal(old map[string]ddbtypes.AttributeValue) error {
	var w walletItem
	if len(old) > 0 && attributevalue.UnmarshalMap(old, &w) == nil && w.Status != string(ledger.StatusActive) {
		return ledger.ErrWalletNotActive
	}
	return ledger.ErrInsufficientFunds
}

func (s *Ledger) postingItems(p ledger.Posting, walletIDs map[string]bool) ([]ddbtypes.TransactWriteItem, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	absent, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
	if err != nil {
		return nil, fmt.Errorf("build condition: %w", err)
	}
	var items []ddbtypes.TransactWriteItem
	externalDelta := map[string]int64{}
	var externalOrder []string
	for _, e := range p.Entries {
		it := entryItem{Type: typeEntry, ID: e.ID, PostingID: e.PostingID, Account: e.Account, OwnerID: e.Owner, Currency: e.Currency, AmountMinor: e.AmountMinor,
			BalanceAfterMinor: e.BalanceAfterMinor, Seq: e.Seq, Kind: e.Kind, Description: e.Description, CreatedAt: e.CreatedAt}
		if walletIDs[e.Account] {
			it.PK, it.SK = walletPK(e.Account), entrySK(e.Seq)
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
		items = append(items, ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: av,
			ConditionExpression: absent.Condition(), ExpressionAttributeNames: absent.Names()}})
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

// Entries returns a page of a wallet's entries, newest first. The cursor is the seq of
// the last entry returned; entries only ever get higher seqs, so paging while new
// entries arrive neither skips nor repeats one, and a page costs one query.
func (s *Ledger) Entries(ctx context.Context, walletID string, limit int, cursor string) ([]ledger.Entry, string, error) {
	kc := expression.Key("pk").Equal(expression.Value(walletPK(walletID)))
	if cursor != "" {
		before, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		kc = kc.And(expression.Key("sk").Between(expression.Value(entrySK(0)), expression.Value(entrySK(before-1))))
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
	for _, item := range out.Items {
		var it entryItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, "", fmt.Errorf("unmarshal entry: %w", err)
		}
		entries = append(entries, it.entry())
	}
	next := ""
	if n := len(entries); n == limit && entries[n-1].Seq > 1 {
		next = encodeCursor(entries[n-1].Seq)
	}
	return entries, next, nil
}

func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return 0, wallet.ErrInvalidCursor
	}
	seq, err := strconv.ParseInt(strings.TrimPrefix(string(b), cursorPrefix), 10, 64)
	if err != nil || seq < 2 {
		return 0, wallet.ErrInvalidCursor
	}
	return seq, nil
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
