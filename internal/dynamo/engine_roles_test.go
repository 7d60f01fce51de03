//go:build integration

package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/user"
)

// TestSetRoleIsConditionalAndAudited: a role change is written with its audit record in
// one transaction, on condition of the role it expects; sent again (or against an
// unknown user), it is refused as a conflict and writes neither the role nor a record.
func TestSetRoleIsConditionalAndAudited(t *testing.T) {
	db, usersTable := engineTable(t, false)
	_, auditTable := engineTable(t, true)
	users := &Users{DB: db, Table: usersTable}
	trail := &Audit{DB: db, Table: auditTable}
	roles := &Roles{Users: users, Audit: trail}
	ctx := context.Background()
	u := user.User{ID: uuid.NewString(), Email: "roles@example.com", Name: "R", Role: auth.RoleUser, CreatedAt: time.Now().UTC(), EmailVerified: true}
	require.NoError(t, users.Create(ctx, u, testCode(u.ID, "h")))
	record := func() *audit.Record {
		r, err := audit.ByOperator("ops", audit.ActionGrantAdmin, audit.TargetUser, u.ID, "on call", map[string]string{"role": "user"},
			map[string]string{"role": "admin"}, time.Now())
		require.NoError(t, err)
		return r
	}

	steps := []struct {
		name           string
		userID         string
		from, to, want string
		err            error
		records        int
	}{
		{"grant", u.ID, auth.RoleUser, auth.RoleAdmin, auth.RoleAdmin, nil, 1},
		{"the same grant again", u.ID, auth.RoleUser, auth.RoleAdmin, auth.RoleAdmin, retry.ErrConflict, 1},
		{"an unknown user", uuid.NewString(), auth.RoleUser, auth.RoleAdmin, auth.RoleAdmin, retry.ErrConflict, 1},
		{"revoke", u.ID, auth.RoleAdmin, auth.RoleUser, auth.RoleUser, nil, 2},
	}
	for _, s := range steps {
		err := roles.SetRole(ctx, s.userID, s.from, s.to, record())
		if s.err != nil {
			require.ErrorIs(t, err, s.err, s.name)
		} else {
			require.NoError(t, err, s.name)
		}
		got, err := users.ByID(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, s.want, got.Role, s.name)
		recs, _, err := trail.AuditRecords(ctx, u.ID, 10, "")
		require.NoError(t, err)
		assert.Len(t, recs, s.records, "%s: a refused change adds no record", s.name)
		all, _, err := trail.AuditRecords(ctx, "", 10, "")
		require.NoError(t, err)
		assert.Len(t, all, s.records, "%s: the whole trail has it too", s.name)
	}
	_, err := users.ByID(ctx, steps[2].userID)
	require.Error(t, err, "a refused change creates no user")

	look, err := audit.New(op.Caller{UserID: "admin-1", Role: auth.RoleAdmin}, audit.ActionLookup, audit.TargetUser, u.ID, "", map[string]string{}, map[string]string{}, time.Now())
	require.NoError(t, err)
	require.NoError(t, trail.Append(ctx, look))
	recs, _, err := trail.AuditRecords(ctx, u.ID, 10, "")
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, audit.ActionLookup, recs[0].Action, "newest first")
	assert.Error(t, trail.Append(ctx, look), "a record is put once")
}
