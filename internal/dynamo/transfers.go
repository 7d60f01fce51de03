package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// Transfers live in the ledger table too:
//
//	pk TRANSFER#<id>   sk TRANSFER                      the transfer and its saga flags and steps
//	pk WALLETTX#<wallet> sk T#<created_at>#<id>         one index item per wallet (source, destination)
//	pk HOLDS#<bucket>  sk <expires_at, unix s, 12 digits>#<id>  open holds by expiry, for the sweeper;
//	                   HoldBuckets buckets (2 digits), the transfer id's hash picks one
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
	// typeTransfer is a transfer item's type attribute.
	typeTransfer = "transfer"
)

type transferItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	Type string `dynamodbav:"type"`
	transferFacts
	Description    string    `dynamodbav:"description,omitempty"`
	CreatedAt      time.Time `dynamodbav:"created_at"`
	ExpiresAt      time.Time `dynamodbav:"expires_at,omitempty"`
	Version        int64     `dynamodbav:"version"`
	Reserved       bool      `dynamodbav:"reserved"`
	Credited       bool      `dynamodbav:"credited"`
	Captured       bool      `dynamodbav:"captured"`
	Released       bool      `dynamodbav:"released"`
	Reversed       bool      `dynamodbav:"reversed"`
	Steps          []string  `dynamodbav:"steps"` // compact: see encodeSteps
	RequestHash    string    `dynamodbav:"request_hash,omitempty"`
	ReviewOpenedAt time.Time `dynamodbav:"review_opened_at,omitempty"`
	ReviewFrom     string    `dynamodbav:"review_from,omitempty"` // written by the state machine's MarkNeedsReview
	Refunded       int64     `dynamodbav:"refunded,omitempty"`    // written by a refund's post (refundUpdate)
	RefundIDs      []string  `dynamodbav:"refund_ids,omitempty"`
	// RequestExpiresMs is, on a transfer that pays a payment request, the request's
	// expiry in Unix milliseconds (the key of its expiry entry).
	RequestExpiresMs int64 `dynamodbav:"request_expires_ms,omitempty"`
}

// transferFacts is the part of a transfer item an event needs (the stream decodes only
// these, so a change of the step log's encoding never stops it); a transfer item holds
// them inline.
type transferFacts struct {
	ID                  string    `dynamodbav:"id"`
	SourceWalletID      string    `dynamodbav:"source_wallet_id"`
	DestinationWalletID string    `dynamodbav:"destination_wallet_id"`
	SourceOwnerID       string    `dynamodbav:"source_owner_id"`
	DestinationOwnerID  string    `dynamodbav:"destination_owner_id"`
	AmountMinor         int64     `dynamodbav:"amount"`
	CaptureMinor        int64     `dynamodbav:"capture_amount"`
	Currency            string    `dynamodbav:"currency"`
	Mode                string    `dynamodbav:"mode"`
	Status              string    `dynamodbav:"status"`
	FailureReason       string    `dynamodbav:"failure_reason,omitempty"`
	UpdatedAt           time.Time `dynamodbav:"updated_at"`
	RefundOf            string    `dynamodbav:"refund_of,omitempty"`
	RequestID           string    `dynamodbav:"request_id,omitempty"` // a payment request's transfer: the request
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
	return transferItem{PK: transferPK(t.ID), SK: transferSK, Type: typeTransfer,
		transferFacts: transferFacts{ID: t.ID, SourceWalletID: t.SourceWalletID, DestinationWalletID: t.DestinationWalletID,
			SourceOwnerID: t.SourceOwnerID, DestinationOwnerID: t.DestinationOwnerID, AmountMinor: t.AmountMinor,
			CaptureMinor: t.CaptureMinor, Currency: t.Currency, Mode: t.Mode, Status: string(t.Status),
			FailureReason: t.FailureReason, UpdatedAt: t.UpdatedAt, RefundOf: t.RefundOf, RequestID: t.RequestID},
		Description: t.Description, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Version: t.Version, Reserved: t.Reserved,
		Credited: t.Credited, Captured: t.Captured, Released: t.Released, Reversed: t.Reversed,
		Steps: encodeSteps(t.Steps), RequestHash: t.RequestHash, ReviewOpenedAt: t.ReviewOpenedAt, ReviewFrom: string(t.ReviewFrom),
		Refunded: t.RefundedMinor, RefundIDs: t.RefundIDs, RequestExpiresMs: expiresMs(t.RequestExpiresAt)}
}

// expiresMs is a time in Unix milliseconds, 0 for the zero time.
func expiresMs(at time.Time) int64 {
	if at.IsZero() {
		return 0
	}
	return at.UnixMilli()
}

func (it transferItem) transfer() transfer.Transfer {
	return transfer.Transfer{ID: it.ID, SourceWalletID: it.SourceWalletID, DestinationWalletID: it.DestinationWalletID,
		SourceOwnerID: it.SourceOwnerID, DestinationOwnerID: it.DestinationOwnerID, AmountMinor: it.AmountMinor,
		CaptureMinor: it.CaptureMinor, Currency: it.Currency, Description: it.Description, Mode: it.Mode,
		Status: transfer.Status(it.Status), FailureReason: it.FailureReason, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		ExpiresAt: it.ExpiresAt, Version: it.Version, Reserved: it.Reserved, Credited: it.Credited, Captured: it.Captured,
		Released: it.Released, Reversed: it.Reversed, Steps: decodeSteps(it.Steps), RequestHash: it.RequestHash, ReviewOpenedAt: it.ReviewOpenedAt,
		ReviewFrom: transfer.Status(it.ReviewFrom), RefundOf: it.RefundOf, RefundedMinor: it.Refunded, RefundIDs: it.RefundIDs,
		RequestID: it.RequestID, RequestExpiresAt: fromMs(it.RequestExpiresMs)}
}

// fromMs is a time from Unix milliseconds, the zero time for 0.
func fromMs(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Transfer reads one transfer with a strongly consistent read.
func (s *Ledger) Transfer(ctx context.Context, id string) (transfer.Transfer, error) {
	var it transferItem
	if err := getItem(ctx, s.DB, s.Table, key(transferPK(id), transferSK), &it); err != nil {
		return transfer.Transfer{}, err
	}
	return it.transfer(), nil
}

// CreateTransfer puts a new transfer on condition that its id is free, then its list
// entries. Neither is a transaction: the put is one conditional write (1 unit for an
// item under 1 KB, where a transaction bills 2 per item), and the entries are
// idempotent puts that a replay writes again (transfer.Store). A transfer that pays a
// payment request is the exception: see createPaying.
func (s *Ledger) CreateTransfer(ctx context.Context, t transfer.Transfer) error {
	if t.RequestID != "" {
		return s.createPaying(ctx, t)
	}
	old, err := putIfAbsent(ctx, s.DB, s.Table, "transfer", toTransferItem(t))
	if err != nil {
		return err
	}
	// An old item that is this very creation is this write sent again by the SDK after
	// its first answer was lost: created.
	if old != nil && !sameCreation(*old, t) {
		return transfer.ErrExists
	}
	return s.IndexTransfer(ctx, t)
}

// sameCreation reports whether a stored transfer is t as its creator wrote it: the same
// request at the same millisecond, not yet changed. (Two requests with one key and one
// body in the same millisecond would both pass; both start the saga, whose steps run
// once.)
func sameCreation(stored transferItem, t transfer.Transfer) bool {
	return stored.RequestHash == t.RequestHash && stored.CreatedAt.Equal(t.CreatedAt) && stored.Version == t.Version
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
		tx.add(s.put(map[string]string{"pk": holdPK(c.After.ID), "sk": holdSK(c.After), "transfer_id": c.After.ID}), nil)
	case wasHeld && !isHeld:
		tx.add(ddbtypes.TransactWriteItem{Delete: &ddbtypes.Delete{TableName: aws.String(s.Table), Key: key(holdPK(c.Before.ID), holdSK(*c.Before))}}, nil)
	}
	if err := tx.addRefund(s, c.Refund); err != nil {
		return err
	}
	if err := tx.addRequestMove(s, c); err != nil {
		return err
	}
	if err := tx.reviewIndex(s, c); err != nil {
		return err
	}
	if err := tx.addAudit(s.Audit, c.Audit); err != nil {
		return err
	}
	if err := tx.addCompletion(s, c.Completion); err != nil {
		return err
	}
	return s.commitSweeping(ctx, &tx)
}

func holdSK(t transfer.Transfer) string { return fmt.Sprintf("%012d#%s", t.ExpiresAt.Unix(), t.ID) }

// HoldBuckets is how many partitions the expiring-holds index is spread over (see
// sweptIndex). Changing it moves where new holds' entries go while old entries stay
// where they are: the sweeper must then walk the old buckets too until they are empty.
const HoldBuckets = 64

// holdPK is the index bucket of a transfer's hold.
func holdPK(transferID string) string { return bucketOf(holdsPK, transferID, HoldBuckets) }

func (s *Ledger) put(m map[string]string) ddbtypes.TransactWriteItem {
	item := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, v := range m {
		item[k] = &ddbtypes.AttributeValueMemberS{Value: v}
	}
	return ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: item}}
}

// addRefund counts a refund's post on the refunded transfer: its total grows and the
// refund joins its list, on condition, checked on the stored item in the post's own
// transaction, that it is a COMPLETED transfer (not a refund) whose refunds stay within
// what it moved and their number within transfer.RefundsPerTransferMax. Two racing
// refunds can therefore never give back more than the amount. Its version moves, so a
// writer holding an older copy of it loses.
func (tx *txn) addRefund(s *Ledger, r *transfer.RefundClaim) error {
	if r == nil {
		return nil
	}
	refunded, ids := expression.Name("refunded"), expression.Name("refund_ids")
	update := expression.Add(refunded, expression.Value(r.AmountMinor)).
		Set(ids, expression.ListAppend(ids.IfNotExists(expression.Value([]string{})), expression.Value([]string{r.RefundID}))).
		Add(expression.Name("version"), expression.Value(1))
	cond := expression.Name("status").Equal(expression.Value(string(transfer.StatusCompleted))).
		And(expression.AttributeNotExists(expression.Name("refund_of"))).
		And(expression.Or(expression.AttributeNotExists(refunded), refunded.LessThanEqual(expression.Value(r.CaptureMinor-r.AmountMinor)))).
		And(expression.Or(expression.AttributeNotExists(ids), ids.Size().LessThan(expression.Value(transfer.RefundsPerTransferMax))))
	if r.AmountMinor <= 0 || r.AmountMinor > r.CaptureMinor {
		return transfer.ErrRefundExceeds
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build refund update: %w", err)
	}
	u := updateOf(s.Table, key(transferPK(r.TransferID), transferSK), expr)
	u.ReturnValuesOnConditionCheckFailure = ddbtypes.ReturnValuesOnConditionCheckFailureAllOld
	tx.add(ddbtypes.TransactWriteItem{Update: u}, func(old map[string]ddbtypes.AttributeValue) error {
		if len(old) == 0 {
			return transfer.ErrNotRefundable
		}
		var it transferItem
		if err := attributevalue.UnmarshalMap(old, &it); err != nil {
			return fmt.Errorf("unmarshal refunded transfer: %w", err)
		}
		if err := r.Refusal(it.transfer()); err != nil {
			return err
		}
		return retry.ErrConflict // no rule explains it: decide again on fresh state
	})
	return nil
}
