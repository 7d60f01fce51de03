// Package audit is the trail of what admins and operators did: every admin action
// (freeze, unfreeze, resolving a transfer) and every change of a user's role (the
// operator's command) writes one immutable Record in the same transaction as its effect,
// so an effect without its record, or a record without its effect, cannot exist; an
// admin's look-up of an account, which changes nothing, writes its record before it
// answers.
// Users never see the trail; nobody can change it (no route writes it, and the functions
// that add records may only put new ones: template.yaml).
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// Actions an admin can take, as the trail names them.
const (
	ActionFreeze   = "wallet.freeze"
	ActionUnfreeze = "wallet.unfreeze"
	ActionResolve  = "transfer.resolve"
	// The operator's role changes (cmd/admin) and an admin's look-up of an account.
	ActionGrantAdmin  = "user.grant_admin"
	ActionRevokeAdmin = "user.revoke_admin"
	ActionLookup      = "user.lookup"
)

// Targets: what an action was taken on.
const (
	TargetWallet   = "wallet"
	TargetTransfer = "transfer"
	TargetUser     = "user"
	// TargetEmail is the target of a look-up that found no account: the address asked for.
	TargetEmail = "email"
)

// OperatorPrefix starts the actor id of a record an operator's command wrote (the
// operator is no user of the API): operator:<their AWS identity or user name>.
const OperatorPrefix = "operator:"

// Limits, in the units their names carry.
const (
	ReasonRunesMax      = 500
	ListPageSizeMax     = 100
	ListPageSizeDefault = 25
)

// Record is one admin action: who, what, on which target, why, the target before and
// after, the API request that did it, and when.
type Record struct {
	ID         string          `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    string          `json:"actor_id"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Reason     string          `json:"reason,omitempty"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	RequestID  string          `json:"request_id,omitempty"`
}

// New makes the record of an action that c takes now on a target; before and after are
// the target's state around it, rendered as JSON.
func New(c op.Caller, action, targetType, targetID, reason string, before, after any, now time.Time) (*Record, error) {
	return newRecord(c.UserID, c.RequestID, action, targetType, targetID, reason, before, after, now)
}

// ByOperator makes the record of an action an operator takes now with a command
// (outside the API): the actor id is OperatorPrefix and the operator's identity.
func ByOperator(operator, action, targetType, targetID, reason string, before, after any, now time.Time) (*Record, error) {
	return newRecord(OperatorPrefix+operator, "", action, targetType, targetID, reason, before, after, now)
}

func newRecord(actorID, requestID, action, targetType, targetID, reason string, before, after any, now time.Time) (*Record, error) {
	b, err := json.Marshal(before)
	if err != nil {
		return nil, fmt.Errorf("audit: render before: %w", err)
	}
	a, err := json.Marshal(after)
	if err != nil {
		return nil, fmt.Errorf("audit: render after: %w", err)
	}
	return &Record{ID: uuid.NewString(), At: now.UTC().Truncate(time.Millisecond), ActorID: actorID, Action: action,
		TargetType: targetType, TargetID: targetID, Reason: reason, Before: b, After: a, RequestID: requestID}, nil
}

// Page is one page of the trail, newest first.
type Page struct {
	Items      []Record `json:"items"`
	NextCursor *string  `json:"next_cursor"`
}

// Store reads the trail; records are written by the stores of the actions they record
// (a look-up's, which records no change, by Appender).
type Store interface {
	// AuditRecords returns up to limit records, newest first, of one target ("" for all),
	// after cursor, and the cursor of the next page ("" on the last).
	AuditRecords(ctx context.Context, targetID string, limit int, cursor string) ([]Record, string, error)
}

// Appender writes a record that goes with no change of state (an admin's look-up), on
// condition that it is new.
type Appender interface {
	Append(ctx context.Context, r *Record) error
}

// Service serves the trail to admins.
type Service struct{ Store Store }

// List answers GET /v1/admin/audit.
func (s *Service) List(ctx context.Context, c op.Caller, targetID string, limit int, cursor string) (Page, error) {
	if !c.IsAdmin() {
		return Page{}, problem.ErrForbidden
	}
	if targetID != "" && !op.IsID(targetID) {
		return Page{}, problem.Invalid("invalid_target", "target must be a wallet, transfer or user id")
	}
	if err := op.CheckPageSize(limit, ListPageSizeMax); err != nil {
		return Page{}, err
	}
	items, next, err := s.Store.AuditRecords(ctx, targetID, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	if items == nil {
		items = []Record{}
	}
	return Page{Items: items, NextCursor: op.NextCursor(next)}, nil
}

// ValidateReason checks the reason an admin gives for an action: required, printable,
// at most ReasonRunesMax characters.
func ValidateReason(reason string) error {
	if reason == "" {
		return problem.Invalid("invalid_reason", "a reason is required")
	}
	return op.ValidateText("reason", reason, ReasonRunesMax)
}
