package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-wallet/wallet/internal/admin"
	"github.com/serverless-wallet/wallet/internal/audit"
)

// Roles changes a user's role (the operator's grant and revoke) together with the audit
// record of the change.
type Roles struct {
	Users *Users
	Audit *Audit
}

var _ admin.RoleStore = (*Roles)(nil)

// SetRole sets the user record's role from from to to and puts rec, in one transaction
// conditional on the record existing with role from; retry.ErrConflict when it does not
// (the caller reads the user again and decides anew).
func (r *Roles) SetRole(ctx context.Context, userID, from, to string, rec *audit.Record) error {
	role := expression.Name("role")
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(role, expression.Value(to))).
		WithCondition(expression.And(expression.AttributeExists(expression.Name("pk")), role.Equal(expression.Value(from)))).Build()
	if err != nil {
		return fmt.Errorf("build role change: %w", err)
	}
	var tx txn
	tx.add(ddbtypes.TransactWriteItem{Update: updateOf(r.Users.Table, pkOnly(userKey(userID)), expr)}, conflict)
	if err := tx.addAudit(r.Audit, rec); err != nil {
		return err
	}
	return tx.commit(ctx, r.Users.DB)
}
