package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/payrequest"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// The expiry index of open payment requests, a swept index (see sweptIndex):
//
//	pk PREQEXP#<bucket>  sk <expires_ms, 13 digits>#<id>  (request_id)
//
// An entry is put in the request's creation transaction, dropped in the write that
// moves the request out of PENDING (to PAYING, DECLINED, CANCELLED or EXPIRED) and put
// back by the one that reopens it (a failed payment), so it lists exactly the PENDING
// requests. The sweeper (ExpireRequests) reads the entries due by now.
const requestExpiryPK = "PREQEXP"

// RequestBuckets is how many partitions the request expiry index is spread over.
// Changing it moves where new entries go while old entries stay where they are: the
// sweeper must then walk the old buckets too until they are empty.
const RequestBuckets = 16

var requestExpiry = sweptIndex{pk: requestExpiryPK, buckets: RequestBuckets, idAttr: "request_id"}

// requestDueKey is the key of a request's entry in the expiry index.
func requestDueKey(d payrequest.Due) map[string]ddbtypes.AttributeValue {
	return key(bucketOf(requestExpiryPK, d.ID, RequestBuckets), fmt.Sprintf("%013d#%s", d.ExpiresAt.UnixMilli(), d.ID))
}

// putRequestDue is the put of a request's entry in the expiry index.
func (s *Ledger) putRequestDue(d payrequest.Due) ddbtypes.TransactWriteItem {
	item := requestDueKey(d)
	item["request_id"] = &ddbtypes.AttributeValueMemberS{Value: d.ID}
	return ddbtypes.TransactWriteItem{Put: &ddbtypes.Put{TableName: aws.String(s.Table), Item: item}}
}

// dropRequestDue is the delete of a request's entry in the expiry index.
func (s *Ledger) dropRequestDue(d payrequest.Due) ddbtypes.TransactWriteItem {
	return ddbtypes.TransactWriteItem{Delete: &ddbtypes.Delete{TableName: aws.String(s.Table), Key: requestDueKey(d)}}
}

// DueRequests pages the expiry index for the requests due by now (expires_ms <= now),
// oldest first (see dueIn).
func (s *Ledger) DueRequests(ctx context.Context, now time.Time, limit int, after string) ([]payrequest.Due, string, error) {
	entries, next, err := s.dueIn(ctx, requestExpiry, fmt.Sprintf("%013d$", now.UnixMilli()), limit, after)
	if err != nil {
		return nil, "", err
	}
	due := make([]payrequest.Due, 0, len(entries))
	for _, e := range entries {
		ms, _, _ := strings.Cut(e.sk, "#")
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("request expiry entry %q: %w", e.sk, err)
		}
		due = append(due, payrequest.Due{ID: e.id, ExpiresAt: time.UnixMilli(n).UTC()})
	}
	return due, next, nil
}

// ExpireRequest stores EXPIRED on a due request and drops its entry in one transaction,
// on condition that the request is PENDING and its expires_ms is at or before now. A
// refused move reads the request: one that moved on (or is gone) has its entry, left
// only by an older writer, dropped; one not due yet keeps it.
func (s *Ledger) ExpireRequest(ctx context.Context, d payrequest.Due, now time.Time) (bool, error) {
	update := expression.Set(expression.Name("status"), expression.Value(string(payrequest.StatusExpired))).
		Set(expression.Name("updated_at"), expression.Value(now)).
		Add(expression.Name("version"), expression.Value(1))
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(dueAt(now)).Build()
	if err != nil {
		return false, fmt.Errorf("build request expiry: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(s.Table, key(requestPK(d.ID), requestSK), expr)}, refuseWith(errNotDue))
	tx.add(s.dropRequestDue(d), nil)
	err = tx.commit(ctx, s.DB)
	if !errors.Is(err, errNotDue) {
		return err == nil, err
	}
	stored, err := s.Request(ctx, d.ID)
	switch {
	case errors.Is(err, problem.ErrNotFound):
	case err != nil:
		return false, err
	case stored.Status == payrequest.StatusPending:
		return false, nil // not due yet: the entry stays
	}
	return false, s.dropLeftoverDue(ctx, d)
}

// dropLeftoverDue drops a request's expiry entry on condition that the request is not
// PENDING (or is gone) as the delete lands: a request that a failed payment reopened
// since it was read has had its entry put back, and keeps it.
func (s *Ledger) dropLeftoverDue(ctx context.Context, d payrequest.Due) error {
	closed := expression.AttributeNotExists(expression.Name("pk")).
		Or(expression.Name("status").NotEqual(expression.Value(string(payrequest.StatusPending))))
	expr, err := expression.NewBuilder().WithCondition(closed).Build()
	if err != nil {
		return fmt.Errorf("build expiry entry drop: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{ConditionCheck: &ddbtypes.ConditionCheck{TableName: aws.String(s.Table), Key: key(requestPK(d.ID), requestSK),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}, refuseWith(errReopened))
	tx.add(s.dropRequestDue(d), nil)
	err = tx.commit(ctx, s.DB)
	if errors.Is(err, errReopened) {
		return nil // open again: its entry stays for a later sweep
	}
	if err != nil {
		return fmt.Errorf("drop expiry entry of request %s: %w", d.ID, err)
	}
	return nil
}

var (
	errNotDue   = errors.New("payment request not due")
	errReopened = errors.New("payment request open again")
)

// dueAt is the condition of the expiry sweep's move, the complement of openAt on a
// PENDING request: the request is PENDING and its expiry is at or before now.
func dueAt(now time.Time) expression.ConditionBuilder {
	return expression.Name("status").Equal(expression.Value(string(payrequest.StatusPending))).
		And(expression.Name("expires_ms").LessThanEqual(expression.Value(now.UnixMilli())))
}
