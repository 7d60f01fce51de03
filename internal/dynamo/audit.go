package dynamo

import (
	"context"
	"fmt"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/audit"
)

// The audit table (pk, sk) holds each record twice, both put in the transaction of the
// action it records, each conditional on not existing:
//
//	pk ALL                   sk <at, unix ms, 13 digits>#<record id>  the whole trail, by time
//	pk TARGET#<wallet or transfer id>  sk (the same)                 one target's trail
//
// Nothing updates or deletes them: the functions that write records may only PutItem
// on the table, and only the audit route may read it (template.yaml).
type Audit struct {
	DB    API
	Table string
}

var _ audit.Store = (*Audit)(nil)

const auditAllPK = "ALL"

func auditTargetPK(id string) string { return "TARGET#" + id }

type auditItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	ID         string    `dynamodbav:"id"`
	At         time.Time `dynamodbav:"at"`
	ActorID    string    `dynamodbav:"actor_id"`
	Action     string    `dynamodbav:"action"`
	TargetType string    `dynamodbav:"target_type"`
	TargetID   string    `dynamodbav:"target_id"`
	Reason     string    `dynamodbav:"reason,omitempty"`
	Before     string    `dynamodbav:"before"`
	After      string    `dynamodbav:"after"`
	RequestID  string    `dynamodbav:"request_id,omitempty"`
}

// addAudit adds a record's two items to tx (nothing when r is nil or the store has no
// audit table, as in functions that take no admin action).
func (tx *txn) addAudit(a *Audit, r *audit.Record) error {
	if r == nil {
		return nil
	}
	if a == nil {
		return fmt.Errorf("audit record %s for %s: this store has no audit table", r.Action, r.TargetID)
	}
	sk := byTime(r.At, r.ID)
	for _, pk := range []string{auditAllPK, auditTargetPK(r.TargetID)} {
		put, err := absentPut(a.Table, "audit record", auditItem{PK: pk, SK: sk, ID: r.ID, At: r.At, ActorID: r.ActorID, Action: r.Action,
			TargetType: r.TargetType, TargetID: r.TargetID, Reason: r.Reason, Before: string(r.Before), After: string(r.After), RequestID: r.RequestID})
		if err != nil {
			return err
		}
		tx.add(ddbtypes.TransactWriteItem{Put: put}, nil)
	}
	return nil
}

// AuditRecords lists the trail, or one target's, newest first.
func (a *Audit) AuditRecords(ctx context.Context, targetID string, limit int, cursor string) ([]audit.Record, string, error) {
	pk := auditAllPK
	if targetID != "" {
		pk = auditTargetPK(targetID)
	}
	return newestPageOf(ctx, a.DB, a.Table, "audit record", pk, "", limit, cursor, func(it auditItem) audit.Record {
		return audit.Record{ID: it.ID, At: it.At, ActorID: it.ActorID, Action: it.Action, TargetType: it.TargetType,
			TargetID: it.TargetID, Reason: it.Reason, Before: []byte(it.Before), After: []byte(it.After), RequestID: it.RequestID}
	})
}

var _ audit.Appender = (*Audit)(nil)

// Append writes a record that goes with no change (an admin's look-up): its two items in
// one transaction, each conditional on not existing.
func (a *Audit) Append(ctx context.Context, r *audit.Record) error {
	var tx txn
	if err := tx.addAudit(a, r); err != nil {
		return err
	}
	return tx.commit(ctx, a.DB)
}
