package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Transfers live in the ledger table too:
//
//	pk TRANSFER#<id>   sk TRANSFER                      the transfer and its saga flags and steps
//	pk WALLETTX#<wallet> sk T#<created_at>#<id>         one index item per wallet (source, destination)
//	pk HOLDS           sk <expires_at, unix s, 12 digits>#<id>  open holds by expiry, for the sweeper
//	pk CONTROL         sk BREAKER | FAULTS              the circuit breaker; injected faults (tests)
var (
	_ transfer.Store        = (*Ledger)(nil)
	_ transfer.BreakerStore = (*Ledger)(nil)
	_ transfer.Faults       = (*Ledger)(nil)
)

const (
	holdsPK    = "HOLDS"
	controlPK  = "CONTROL"
	breakerSK  = "BREAKER"
	faultsSK   = "FAULTS"
	transferSK = "TRANSFER"
)

type transferItem struct {
	PK                  string    `dynamodbav:"pk"`
	SK                  string    `dynamodbav:"sk"`
	Type                string    `dynamodbav:"type"`
	ID                  string    `dynamodbav:"id"`
	SourceWalletID      string    `dynamodbav:"source_wallet_id"`
	DestinationWalletID string    `dynamodbav:"destination_wallet_id"`
	SourceOwnerID       string    `dynamodbav:"source_owner_id"`
	DestinationOwnerID  string    `dynamodbav:"destination_owner_id"`
	AmountMinor         int64     `dynamodbav:"amount"`
	CaptureMinor        int64     `dynamodbav:"capture_amount"`
	Currency            string    `dynamodbav:"currency"`
	Description         string    `dynamodbav:"description,omitempty"`
	Mode                string    `dynamodbav:"mode"`
	Status              string    `dynamodbav:"status"`
	FailureReason       string    `dynamodbav:"failure_reason,omitempty"`
	CreatedAt           time.Time `dynamodbav:"created_at"`
	UpdatedAt           time.Time `dynamodbav:"updated_at"`
	ExpiresAt           time.Time `dynamodbav:"expires_at,omitempty"`
	Version             int64     `dynamodbav:"version"`
	Reserved            bool      `dynamodbav:"reserved"`
	Credited            bool      `dynamodbav:"credited"`
	Captured            bool      `dynamodbav:"captured"`
	Released            bool      `dynamodbav:"released"`
	Reversed            bool      `dynamodbav:"reversed"`
	Steps               []string  `dynamodbav:"steps"` // compact: see encodeSteps
	RequestHash         string    `dynamodbav:"request_hash,omitempty"`
}

func transferPK(id string) string { return "TRANSFER#" + id }

// encodeSteps writes each step as "name|status|started ms|ended ms|detail": the
// transfer item is rewritten by every step, and DynamoDB bills writes per started KB,
// so the step log is kept small enough for the whole item to stay under 1 KB.
func encodeSteps(steps []transfer.Step) []string {
	out := make([]string, 0, len(steps))
	for _, s := range steps {
		out = append(out, fmt.Sprintf("%s|%s|%d|%d|%s", s.Name, s.Status, s.StartedAt.UnixMilli(), s.EndedAt.UnixMilli(), s.Detail))
	}
	return out
}

func decodeSteps(raw []string) []transfer.Step {
	out := make([]transfer.Step, 0, len(raw))
	for _, r := range raw {
		f := strings.SplitN(r, "|", 5)
		if len(f) != 5 {
			continue
		}
		started, _ := strconv.ParseInt(f[2], 10, 64)
		ended, _ := strconv.ParseInt(f[3], 10, 64)
		out = append(out, transfer.Step{Name: f[0], Status: f[1], StartedAt: time.UnixMilli(started).UTC(), EndedAt: time.UnixMilli(ended).UTC(), Detail: f[4]})
	}
	return out
}

func toTransferItem(t transfer.Transfer) transferItem {
	return transferItem{PK: transferPK(t.ID), SK: transferSK, Type: "transfer", ID: t.ID, SourceWalletID: t.SourceWalletID,
		DestinationWalletID: t.DestinationWalletID, SourceOwnerID: t.SourceOwnerID, DestinationOwnerID: t.DestinationOwnerID,
		AmountMinor: t.AmountMinor, CaptureMinor: t.CaptureMinor, Currency: t.Currency, Description: t.Description, Mode: t.Mode,
		Status: string(t.Status), FailureReason: t.FailureReason, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ExpiresAt: t.ExpiresAt,
		Version: t.Version, Reserved: t.Reserved, Credited: t.Credited, Captured: t.Captured, Released: t.Released, Reversed: t.Reversed,
		Steps: encodeSteps(t.Steps), RequestHash: t.RequestHash}
}

func (it transferItem) transfer() transfer.Transfer {
	return transfer.Transfer{ID: it.ID, SourceWalletID: it.SourceWalletID, DestinationWalletID: it.DestinationWalletID,
		SourceOwnerID: it.SourceOwnerID, DestinationOwnerID: it.DestinationOwnerID, AmountMinor: it.AmountMinor,
		CaptureMinor: it.CaptureMinor, Currency: it.Currency, Description: it.Description, Mode: it.Mode,
		Status: transfer.Status(it.Status), FailureReason: it.FailureReason, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		ExpiresAt: it.ExpiresAt, Version: it.Version, Reserved: it.Reserved, Credited: it.Credited, Captured: it.Captured,
		Released: it.Released, Reversed: it.Reversed, Steps: decodeSteps(it.Steps), RequestHash: it.RequestHash}
}

// Transfer reads one transfer with a strongly consistent read.
func (s *Ledger) Transfer(ctx context.Context, id string) (transfer.Transfer, error) {
	var it transferItem
	if err := getInto(ctx, s.DB, s.Table, transferPK(id), transferSK, &it); err != nil {
		return transfer.Transfer{}, err
	}
	return it.transfer(), nil
}

// CreateTransfer puts a new transfer on condition that its id is free, then its list
// entries. Neither is a transaction: the put is one conditional write (1 unit for an
// item under 1 KB, where a transaction bills 2 per item), and the entries are
// idempotent puts that a replay writes again (transfer.Store).
func (s *Ledger) CreateTransfer(ctx context.Context, t transfer.Transfer) error {
	item, err := attributevalue.MarshalMap(toTransferItem(t))
	if err != nil {
		return fmt.Errorf("marshal transfer: %w", err)
	}
	created, err := putIfAbsent(ctx, s.DB, s.Table, item)
	if err != nil {
		return fmt.Errorf("create transfer: %w", err)
	}
	if !created {
		return transfer.ErrExists
	}
	return s.IndexTransfer(ctx, t)
}

// IndexTransfer puts the transfer's entry in each of its wallets' list partitions; the
// entries' keys come from the transfer alone, so writing them again changes nothing.
func (s *Ledger) IndexTransfer(ctx context.Context, t transfer.Transfer) error {
	for _, w := range []string{t.SourceWalletID, t.DestinationWalletID} {
		entry := s.put(map[string]string{"pk": walletTxPK(w),
			"sk": walletTxPrefix + t.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + t.ID, "transfer_id": t.ID})
		if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: entry.Put.TableName, Item: entry.Put.Item}); err != nil {
			return fmt.Errorf("index transfer: %w", err)
		}
	}
	return nil
}

// CommitTransfer writes a change to an existing transfer in one transaction: wallets,
// posting, the transfer (conditional on its version), the hold's expiry index entry,
// the idempotency completion.
func (s *Ledger) CommitTransfer(ctx context.Context, c transfer.Change) error {
	if c.Before == nil {
		return errors.New("commit transfer: a change needs the transfer it changes (CreateTransfer creates one)")
	}
	item, err := attributevalue.MarshalMap(toTransferItem(c.After))
	if err != nil {
		return fmt.Errorf("marshal transfer: %w", err)
	}
	expr, err := expression.NewBuilder().WithCondition(expression.Name("version").Equal(expression.Value(c.Before.Version))).Build()
	if err != nil {
		return fmt.Errorf("build transfer condition: %w", err)
	}
	// The transfer comes first: when a racer moved it on, that explains any other
	// failed condition (a hold it already released), and the step decides again.
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: item,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}, conflict)
	if err := tx.addDeltas(s, c.Deltas, c.Posting); err != nil {
		return err
	}
	if err := tx.addPosting(s, c.Posting, c.Deltas); err != nil {
		return err
	}
	wasHeld := c.Before.Status == transfer.StatusHeld
	isHeld := c.After.Status == transfer.StatusHeld
	switch {
	case isHeld && !wasHeld:
		tx.add(s.put(map[string]string{"pk": holdsPK, "sk": holdSK(c.After), "transfer_id": c.After.ID}), nil)
	case wasHeld && !isHeld:
		tx.add(ddbtypes.TransactWriteItem{Delete: &ddbtypes.Delete{TableName: aws.String(s.Table), Key: key(holdsPK, holdSK(*c.Before))}}, nil)
	}
	if err := tx.addCompletion(s, c.Completion); err != nil {
		return err
	}
	return s.commit(ctx, &tx)
}

func holdSK(t transfer.Transfer) string { return fmt.Sprintf("%012d#%s", t.ExpiresAt.Unix(), t.ID) }

func (s *Ledger) put(m map[string]string) ddbtypes.TransactWriteItem {
	item := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, v := range m {
		item[k] = &ddbtypes.AttributeValueMemberS{Value: v}
	}
	return ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: item}}
}

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
	ts, err := s.transfers(ctx, ids)
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

// transfers reads transfers by id in one BatchGetItem (ids are at most a page, and a
// page is at most 100, BatchGetItem's own limit), in the order of ids.
func (s *Ledger) transfers(ctx context.Context, ids []string) ([]transfer.Transfer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]map[string]ddbtypes.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = key(transferPK(id), transferSK)
	}
	byID := make(map[string]transfer.Transfer, len(ids))
	request := map[string]ddbtypes.KeysAndAttributes{s.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(request) > 0; attempt++ {
		if attempt == batchGetAttemptsMax {
			return nil, fmt.Errorf("read %d transfers: keys still unprocessed after %d attempts", len(ids), batchGetAttemptsMax)
		}
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
		}
		out, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, fmt.Errorf("read %d transfers: %w", len(ids), err)
		}
		for _, item := range out.Responses[s.Table] {
			var it transferItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, fmt.Errorf("unmarshal transfer: %w", err)
			}
			byID[it.ID] = it.transfer()
		}
		request = out.UnprocessedKeys
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

// ExpiredHolds lists transfers whose hold expired by now, oldest first, after the index
// position after (a sort key of the HOLDS index; "" from the start). It returns the
// position to continue from, "" when the page was the last.
func (s *Ledger) ExpiredHolds(ctx context.Context, now time.Time, limit int, after string) ([]string, string, error) {
	kc := expression.Key("pk").Equal(expression.Value(holdsPK)).
		And(expression.Key("sk").LessThan(expression.Value(fmt.Sprintf("%012d$", now.Unix()))))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true)} // #nosec G115 -- small constant
	if after != "" {
		in.ExclusiveStartKey = key(holdsPK, after)
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query expired holds: %w", err)
	}
	ids := make([]string, 0, len(out.Items))
	next := ""
	for _, item := range out.Items {
		var idx struct {
			SK         string `dynamodbav:"sk"`
			TransferID string `dynamodbav:"transfer_id"`
		}
		if err := attributevalue.UnmarshalMap(item, &idx); err != nil {
			return nil, "", fmt.Errorf("unmarshal hold: %w", err)
		}
		ids = append(ids, idx.TransferID)
		next = idx.SK
	}
	if len(out.LastEvaluatedKey) == 0 {
		next = ""
	}
	return ids, next, nil
}

// ForgetHold deletes a transfer's entry in the expiring-holds index, if any.
func (s *Ledger) ForgetHold(ctx context.Context, t transfer.Transfer) error {
	if t.ExpiresAt.IsZero() {
		return nil
	}
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: key(holdsPK, holdSK(t))})
	if err != nil {
		return fmt.Errorf("forget hold %s: %w", t.ID, err)
	}
	return nil
}

type breakerItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	transfer.BreakerState
}

// LoadBreaker reads the breaker; a missing item is a closed breaker at version 0.
func (s *Ledger) LoadBreaker(ctx context.Context) (transfer.BreakerState, error) {
	var it breakerItem
	err := getInto(ctx, s.DB, s.Table, controlPK, breakerSK, &it)
	if errors.Is(err, problem.ErrNotFound) {
		return transfer.BreakerState{State: transfer.BreakerClosed}, nil
	}
	return it.BreakerState, err
}

// SaveBreaker writes next conditional on the version it was loaded at.
func (s *Ledger) SaveBreaker(ctx context.Context, next transfer.BreakerState) error {
	loaded := next.Version
	next.Version++
	item, err := attributevalue.MarshalMap(breakerItem{PK: controlPK, SK: breakerSK, BreakerState: next})
	if err != nil {
		return fmt.Errorf("marshal breaker: %w", err)
	}
	cond := expression.AttributeNotExists(expression.Name("pk"))
	if loaded > 0 {
		cond = expression.Name("version").Equal(expression.Value(loaded))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build breaker condition: %w", err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if isConditionFailed(err) {
		return wallet.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("save breaker: %w", err)
	}
	return nil
}

// Fault reads the injected fault for a step from the CONTROL/FAULTS item, which only
// tests write (with the SDK); the functions read it only in deployments that enable
// fault injection.
func (s *Ledger) Fault(ctx context.Context, step string) (transfer.Fault, bool, error) {
	var it struct {
		Faults map[string]transfer.Fault `dynamodbav:"faults"`
	}
	err := getInto(ctx, s.DB, s.Table, controlPK, faultsSK, &it)
	if errors.Is(err, problem.ErrNotFound) {
		return transfer.Fault{}, false, nil
	}
	if err != nil {
		return transfer.Fault{}, false, err
	}
	f, ok := it.Faults[step]
	return f, ok, nil
}
