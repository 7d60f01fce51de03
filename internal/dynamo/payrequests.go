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

	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

// Payment requests live in the ledger table too:
//
//	pk PREQ#<id>        sk PREQ                    the request
//	pk PREQBY#<payee>   sk R#<created_at>#<id>     the payee's list (request_id)
//	pk PREQTO#<email>   sk R#<created_at>#<id>     the addressee's list (request_id)
//	pk PREQEXP#<bucket> sk <expires_ms>#<id>       open requests by expiry (requestexpiry.go)
//
// The request, a transfer that pays it and that transfer's end are written together
// (see createPaying and addRequestMove), each with the request's expiry entry.
var _ payrequest.Store = (*Ledger)(nil)

const (
	requestSK       = "PREQ"
	requestListPref = "R#"
	typeRequest     = "payment_request"
)

func requestPK(id string) string { return "PREQ#" + id }

type requestItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	Type        string    `dynamodbav:"type"`
	ID          string    `dynamodbav:"id"`
	PayeeID     string    `dynamodbav:"payee_id"`
	ToEmail     string    `dynamodbav:"to_email"`
	FromEmail   string    `dynamodbav:"from_email,omitempty"`
	AmountMinor int64     `dynamodbav:"amount"`
	Currency    string    `dynamodbav:"currency"`
	Note        string    `dynamodbav:"note,omitempty"`
	Status      string    `dynamodbav:"status"`
	TransferID  string    `dynamodbav:"transfer_id,omitempty"`
	PayerID     string    `dynamodbav:"payer_id,omitempty"`
	RequestHash string    `dynamodbav:"request_hash"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
	UpdatedAt   time.Time `dynamodbav:"updated_at"`
	ExpiresAt   time.Time `dynamodbav:"expires_at"`
	// ExpiresMs is ExpiresAt in Unix milliseconds: the conditions compare it as a number
	// (RFC 3339 strings with fractions do not sort as times).
	ExpiresMs int64 `dynamodbav:"expires_ms"`
	Version   int64 `dynamodbav:"version"`
}

func toRequestItem(r payrequest.Request) requestItem {
	return requestItem{PK: requestPK(r.ID), SK: requestSK, Type: typeRequest, ID: r.ID, PayeeID: r.PayeeID, ToEmail: r.ToEmail, FromEmail: r.FromEmail,
		AmountMinor: r.AmountMinor, Currency: r.Currency, Note: r.Note, Status: string(r.Status), TransferID: r.TransferID,
		PayerID: r.PayerID, RequestHash: r.RequestHash, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ExpiresAt: r.ExpiresAt,
		ExpiresMs: r.ExpiresAt.UnixMilli(), Version: r.Version}
}

func (it requestItem) request() payrequest.Request {
	return payrequest.Request{ID: it.ID, PayeeID: it.PayeeID, ToEmail: it.ToEmail, FromEmail: it.FromEmail, AmountMinor: it.AmountMinor, Currency: it.Currency,
		Note: it.Note, Status: payrequest.Status(it.Status), TransferID: it.TransferID, PayerID: it.PayerID, RequestHash: it.RequestHash,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, ExpiresAt: it.ExpiresAt, Version: it.Version}
}

// Request reads one request with a strongly consistent read.
func (s *Ledger) Request(ctx context.Context, id string) (payrequest.Request, error) {
	var it requestItem
	if err := getItem(ctx, s.DB, s.Table, key(requestPK(id), requestSK), &it); err != nil {
		return payrequest.Request{}, err
	}
	return it.request(), nil
}

var errRequestTaken = errors.New("request id taken")

// CreateRequest writes the request, its two list entries and its expiry entry in one
// transaction, the request on condition that its id is free; when it is taken, the
// stored one.
func (s *Ledger) CreateRequest(ctx context.Context, r payrequest.Request) (*payrequest.Request, error) {
	put, err := absentPut(s.Table, "payment request", toRequestItem(r))
	if err != nil {
		return nil, err
	}
	sk := requestListPref + r.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + r.ID
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Put: put}, refuseWith(errRequestTaken))
	tx.add(s.put(map[string]string{"pk": "PREQBY#" + r.PayeeID, "sk": sk, "request_id": r.ID}), nil)
	tx.add(s.put(map[string]string{"pk": "PREQTO#" + r.ToEmail, "sk": sk, "request_id": r.ID}), nil)
	tx.add(s.putRequestDue(payrequest.Due{ID: r.ID, ExpiresAt: r.ExpiresAt}), nil)
	err = tx.commit(ctx, s.DB)
	if errors.Is(err, errRequestTaken) {
		stored, rerr := s.Request(ctx, r.ID)
		if rerr != nil {
			return nil, rerr
		}
		return &stored, nil
	}
	return nil, err
}

// RequestsBy pages a payee's requests, newest first.
func (s *Ledger) RequestsBy(ctx context.Context, payeeID string, limit int, cursor string) ([]payrequest.Request, string, error) {
	return s.requestList(ctx, "PREQBY#"+payeeID, limit, cursor)
}

// RequestsTo pages the requests addressed to an email, newest first.
func (s *Ledger) RequestsTo(ctx context.Context, email string, limit int, cursor string) ([]payrequest.Request, string, error) {
	return s.requestList(ctx, "PREQTO#"+email, limit, cursor)
}

// requestList reads one page of a list partition, then its requests in one batch read.
func (s *Ledger) requestList(ctx context.Context, pk string, limit int, cursor string) ([]payrequest.Request, string, error) {
	type entry struct {
		RequestID string `dynamodbav:"request_id"`
	}
	entries, next, err := newestPageOf(ctx, s.DB, s.Table, "request entry", pk, requestListPref, limit, cursor,
		func(e entry) string { return e.RequestID })
	if err != nil {
		return nil, "", err
	}
	keys := make([]map[string]ddbtypes.AttributeValue, len(entries))
	for i, id := range entries {
		keys[i] = key(requestPK(id), requestSK)
	}
	items, err := batchRead(ctx, s.DB, s.Table, "payment requests", keys, func(it requestItem) (string, payrequest.Request) {
		return it.ID, it.request()
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]payrequest.Request, 0, len(entries))
	for _, id := range entries {
		r, ok := items[id]
		if !ok {
			return nil, "", fmt.Errorf("payment request %s is listed but missing", id)
		}
		out = append(out, r)
	}
	return out, next, nil
}

// MoveRequest writes a person's action on an open request (see payrequest.Store) and
// drops its expiry entry in one transaction, then reads the request as it now is.
func (s *Ledger) MoveRequest(ctx context.Context, r payrequest.Request, to payrequest.Status, actor string, now time.Time) (payrequest.Request, error) {
	update := expression.Set(expression.Name("status"), expression.Value(string(to))).
		Set(expression.Name("updated_at"), expression.Value(now)).
		Add(expression.Name("version"), expression.Value(1))
	if actor != r.PayeeID {
		update = update.Set(expression.Name("payer_id"), expression.Value(actor))
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(openAt(now)).Build()
	if err != nil {
		return payrequest.Request{}, fmt.Errorf("build request update: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(requestPK(r.ID), requestSK), expr)}, refuseWith(errRequestClosed))
	tx.add(s.dropRequestDue(payrequest.Due{ID: r.ID, ExpiresAt: r.ExpiresAt}), nil)
	err = tx.commit(ctx, s.DB)
	if errors.Is(err, errRequestClosed) {
		return payrequest.Request{}, s.requestRefusal(ctx, r.ID, now)
	}
	if err != nil {
		return payrequest.Request{}, fmt.Errorf("move request %s: %w", r.ID, err)
	}
	return s.Request(ctx, r.ID)
}

var errRequestClosed = errors.New("payment request not open")

// openAt is the condition of every move a person makes: the request is PENDING and
// its expiry is after now.
func openAt(now time.Time) expression.ConditionBuilder {
	return expression.Name("status").Equal(expression.Value(string(payrequest.StatusPending))).
		And(expression.Name("expires_ms").GreaterThan(expression.Value(now.UnixMilli())))
}

// requestRefusal explains a refused move by the request as it is now.
func (s *Ledger) requestRefusal(ctx context.Context, id string, now time.Time) error {
	stored, err := s.Request(ctx, id)
	if err != nil {
		return err
	}
	if err := payrequest.Refusal(stored, now); err != nil {
		return err
	}
	return retry.ErrConflict // open again already: decide again
}

var errTransferTaken = errors.New("transfer id taken")

// createPaying writes a transfer that pays a payment request in one transaction with
// the request's move to PAYING by it, on condition that the request is open at the
// transfer's creation. A transaction sent again after its answer was lost finds its
// own transfer: created.
func (s *Ledger) createPaying(ctx context.Context, t transfer.Transfer) error {
	put, err := absentPut(s.Table, "transfer", toTransferItem(t))
	if err != nil {
		return err
	}
	update := expression.Set(expression.Name("status"), expression.Value(string(payrequest.StatusPaying))).
		Set(expression.Name("transfer_id"), expression.Value(t.ID)).
		Set(expression.Name("payer_id"), expression.Value(t.SourceOwnerID)).
		Set(expression.Name("updated_at"), expression.Value(t.CreatedAt)).
		Add(expression.Name("version"), expression.Value(1))
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(openAt(t.CreatedAt)).Build()
	if err != nil {
		return fmt.Errorf("build request update: %w", err)
	}
	// A payment racing this one for the request may cancel it as a TransactionConflict
	// rather than by the condition: sent again, it meets the condition and is explained.
	err = retry.Conflicts(ctx, func(int) error {
		var tx txn
		tx.add(ddbtypes.TransactWriteItem{Put: put}, refuseWith(errTransferTaken))
		tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(requestPK(t.RequestID), requestSK), expr)},
			refuseWith(payrequest.ErrPaying)) // explained below by the request as it is
		if !t.RequestExpiresAt.IsZero() { // PAYING is not open: out of the expiry index
			tx.add(s.dropRequestDue(payrequest.Due{ID: t.RequestID, ExpiresAt: t.RequestExpiresAt}), nil)
		}
		return tx.commit(ctx, s.DB)
	})
	switch {
	case errors.Is(err, errTransferTaken):
		var it transferItem
		if gerr := getItem(ctx, s.DB, s.Table, key(transferPK(t.ID), transferSK), &it); gerr != nil {
			return gerr
		}
		if !sameCreation(it, t) {
			return transfer.ErrExists
		}
	case errors.Is(err, payrequest.ErrPaying):
		return s.requestRefusal(ctx, t.RequestID, t.CreatedAt)
	case err != nil:
		return err
	}
	return s.IndexTransfer(ctx, t)
}

// addRequestMove writes the end of a paying transfer on its request (see
// transfer.Change.RequestMove), on condition that the request is PAYING by it; a
// reopened request is open again, so its expiry entry is put back.
func (tx *txn) addRequestMove(s *Ledger, c transfer.Change) error {
	m := c.RequestMove()
	if m == nil {
		return nil
	}
	update := expression.Set(expression.Name("updated_at"), expression.Value(c.After.UpdatedAt)).
		Add(expression.Name("version"), expression.Value(1))
	if m.Paid {
		update = update.Set(expression.Name("status"), expression.Value(string(payrequest.StatusPaid)))
	} else {
		update = update.Set(expression.Name("status"), expression.Value(string(payrequest.StatusPending))).
			Remove(expression.Name("transfer_id")).Remove(expression.Name("payer_id"))
	}
	cond := expression.Name("status").Equal(expression.Value(string(payrequest.StatusPaying))).
		And(expression.Name("transfer_id").Equal(expression.Value(m.TransferID)))
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build request move: %w", err)
	}
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(requestPK(m.RequestID), requestSK), expr)}, conflict)
	if !m.Paid && !c.After.RequestExpiresAt.IsZero() {
		tx.add(s.putRequestDue(payrequest.Due{ID: m.RequestID, ExpiresAt: c.After.RequestExpiresAt}), nil)
	}
	return nil
}

// batchRead reads items by key in one BatchGetItem (at most a page of keys, within its
// limit of 100), decoded as I and keyed by id.
func batchRead[I, T any](ctx context.Context, db API, table, what string, keys []map[string]ddbtypes.AttributeValue,
	conv func(I) (string, T)) (map[string]T, error) {
	out := make(map[string]T, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	request := map[string]ddbtypes.KeysAndAttributes{table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(request) > 0; attempt++ {
		if attempt == batchGetAttemptsMax {
			return nil, fmt.Errorf("read %d %s: keys still unprocessed after %d attempts", len(keys), what, batchGetAttemptsMax)
		}
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
		}
		res, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, fmt.Errorf("read %d %s: %w", len(keys), what, err)
		}
		for _, item := range res.Responses[table] {
			var it I
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, fmt.Errorf("unmarshal %s: %w", what, err)
			}
			id, v := conv(it)
			out[id] = v
		}
		request = res.UnprocessedKeys
	}
	return out, nil
}
