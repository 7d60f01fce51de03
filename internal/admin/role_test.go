package admin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/admin"
	"github.com/serverless-wallet/wallet/internal/audit"
	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/user"
)

var at = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// accounts is the users table in memory: by email, with the role conditional write and
// the records written with it.
type accounts struct {
	byEmail map[string]user.User
	records []*audit.Record
	// beforeSet runs before a SetRole is applied (a concurrent operator's change).
	beforeSet func()
	sets      int
}

func newAccounts(us ...user.User) *accounts {
	a := &accounts{byEmail: map[string]user.User{}}
	for _, u := range us {
		a.byEmail[u.Email] = u
	}
	return a
}

func (a *accounts) ByEmail(_ context.Context, email string) (user.User, error) {
	u, ok := a.byEmail[email]
	if !ok {
		return user.User{}, problem.ErrNotFound
	}
	return u, nil
}

func (a *accounts) SetRole(_ context.Context, userID, from, to string, rec *audit.Record) error {
	a.sets++
	if a.beforeSet != nil {
		a.beforeSet()
		a.beforeSet = nil
	}
	for email, u := range a.byEmail {
		if u.ID != userID {
			continue
		}
		if u.Role != from {
			return retry.ErrConflict
		}
		u.Role = to
		a.byEmail[email] = u
		a.records = append(a.records, rec)
		return nil
	}
	return retry.ErrConflict
}

// ender counts the sessions it ends; err fails it.
type ender struct {
	active map[string]int
	calls  int
	err    error
}

func (e *ender) EndAllSessions(_ context.Context, userID string) (int, error) {
	e.calls++
	if e.err != nil {
		return 0, e.err
	}
	n := e.active[userID]
	e.active[userID] = 0
	return n, nil
}

var (
	ada   = user.User{ID: "u-ada", Email: "ada@example.com", Role: auth.RoleUser, EmailVerified: true}
	grace = user.User{ID: "u-grace", Email: "grace@example.com", Role: auth.RoleAdmin, EmailVerified: true}
	eve   = user.User{ID: "u-eve", Email: "eve@example.com", Role: auth.RoleUser}
)

func newRoles(a *accounts, e *ender) *admin.Roles {
	return &admin.Roles{Accounts: a, Store: a, Sessions: e, Now: func() time.Time { return at }}
}

func TestRoleChanges(t *testing.T) {
	change := func(email string) admin.RoleChange {
		return admin.RoleChange{Email: email, Reason: "on call this quarter", Operator: "arn:aws:iam::1:user/ops"}
	}
	tests := []struct {
		name    string
		revoke  bool
		in      admin.RoleChange
		want    admin.Outcome
		code    string // the refusal's problem code; "" for none
		records int
		// ended is whether the user's sessions were ended
		ended bool
	}{
		{name: "grant a verified user", in: change(" ADA@example.com "), records: 1,
			want: admin.Outcome{UserID: "u-ada", Email: "ada@example.com", Role: auth.RoleAdmin, Changed: true}},
		{name: "grant an admin: no change", in: change("grace@example.com"),
			want: admin.Outcome{UserID: "u-grace", Email: "grace@example.com", Role: auth.RoleAdmin}},
		{name: "grant an unverified user is refused", in: change("eve@example.com"), code: "email_not_verified"},
		{name: "grant an unknown email", in: change("nobody@example.com"), code: "user_not_found"},
		{name: "grant a malformed email", in: change("not-an-email"), code: "invalid_email"},
		{name: "grant without a reason", in: admin.RoleChange{Email: "ada@example.com", Operator: "ops"}, code: "invalid_reason"},
		{name: "grant with a control character in the reason", in: admin.RoleChange{Email: "ada@example.com", Reason: "a\x07", Operator: "ops"}, code: "invalid_reason"},
		{name: "grant without an operator", in: admin.RoleChange{Email: "ada@example.com", Reason: "r", Operator: "  "}, code: "invalid_operator"},
		{name: "revoke an admin ends their sessions", revoke: true, in: change("grace@example.com"), records: 1, ended: true,
			want: admin.Outcome{UserID: "u-grace", Email: "grace@example.com", Role: auth.RoleUser, Changed: true, SessionsEnded: 2}},
		{name: "revoke a user: no change, sessions ended all the same", revoke: true, in: change("ada@example.com"), ended: true,
			want: admin.Outcome{UserID: "u-ada", Email: "ada@example.com", Role: auth.RoleUser, SessionsEnded: 1}},
		{name: "revoke an unknown email", revoke: true, in: change("nobody@example.com"), code: "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccounts(ada, grace, eve)
			e := &ender{active: map[string]int{"u-ada": 1, "u-grace": 2}}
			roles := newRoles(a, e)
			do := roles.Grant
			if tt.revoke {
				do = roles.Revoke
			}
			got, err := do(context.Background(), tt.in)
			if tt.code != "" {
				var p *problem.Error
				require.ErrorAs(t, err, &p)
				assert.Equal(t, tt.code, p.Code)
				assert.Zero(t, a.sets, "a refusal writes nothing")
				assert.Zero(t, e.calls, "a refusal ends no session")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.Role, a.byEmail[tt.want.Email].Role, "the stored role")
			require.Len(t, a.records, tt.records)
			assert.Equal(t, tt.ended, e.calls == 1, "sessions ended")
			if tt.records == 1 {
				r := a.records[0]
				from, to := auth.RoleUser, auth.RoleAdmin
				action := audit.ActionGrantAdmin
				if tt.revoke {
					from, to, action = to, from, audit.ActionRevokeAdmin
				}
				assert.Equal(t, "operator:arn:aws:iam::1:user/ops", r.ActorID)
				assert.Equal(t, action, r.Action)
				assert.Equal(t, audit.TargetUser, r.TargetType)
				assert.Equal(t, tt.want.UserID, r.TargetID)
				assert.Equal(t, "on call this quarter", r.Reason)
				assert.JSONEq(t, `{"role":"`+from+`"}`, string(r.Before))
				assert.JSONEq(t, `{"role":"`+to+`"}`, string(r.After))
				assert.Equal(t, at, r.At)
			}
		})
	}
}

// TestRoleChangesAppliedTwice: the second grant (or revoke) finds the role it would set
// and writes nothing; the answer says so.
func TestRoleChangesAppliedTwice(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(ada)
	e := &ender{active: map[string]int{"u-ada": 3}}
	roles := newRoles(a, e)
	in := admin.RoleChange{Email: "ada@example.com", Reason: "r", Operator: "ops"}
	steps := []struct {
		do      func(context.Context, admin.RoleChange) (admin.Outcome, error)
		role    string
		changed bool
		records int
		ended   int
	}{
		{roles.Grant, auth.RoleAdmin, true, 1, 0},
		{roles.Grant, auth.RoleAdmin, false, 1, 0},
		{roles.Revoke, auth.RoleUser, true, 2, 3},
		{roles.Revoke, auth.RoleUser, false, 2, 0},
	}
	for i, s := range steps {
		got, err := s.do(ctx, in)
		require.NoError(t, err, "step %d", i)
		assert.Equal(t, s.role, got.Role, "step %d", i)
		assert.Equal(t, s.changed, got.Changed, "step %d", i)
		assert.Len(t, a.records, s.records, "step %d: a no-op adds no record", i)
		assert.Equal(t, s.ended, got.SessionsEnded, "step %d", i)
	}
	assert.Contains(t, admin.Outcome{Email: "ada@example.com", UserID: "u-ada", Role: auth.RoleAdmin}.String(), "admin already: no change")
}

// TestARoleThatMovedIsDecidedAgain: another operator's grant lands between the read and
// the conditional write; the write is refused and the change read again finds it done.
func TestARoleThatMovedIsDecidedAgain(t *testing.T) {
	a := newAccounts(ada)
	a.beforeSet = func() {
		u := a.byEmail["ada@example.com"]
		u.Role = auth.RoleAdmin
		a.byEmail["ada@example.com"] = u
	}
	got, err := newRoles(a, &ender{active: map[string]int{}}).Grant(context.Background(),
		admin.RoleChange{Email: "ada@example.com", Reason: "r", Operator: "ops"})
	require.NoError(t, err)
	assert.False(t, got.Changed, "the other operator's grant did it")
	assert.Equal(t, auth.RoleAdmin, got.Role)
	assert.Equal(t, 1, a.sets, "one refused write, then nothing to write")
	assert.Empty(t, a.records, "no record for a change this run did not make")
}

// TestARevokeWhoseSessionsFailIsToldToRunAgain: the role is revoked, the sessions are
// not ended; the error says so, and the second run ends them.
func TestARevokeWhoseSessionsFailIsToldToRunAgain(t *testing.T) {
	a := newAccounts(grace)
	e := &ender{active: map[string]int{"u-grace": 2}, err: errors.New("throttled")}
	roles := newRoles(a, e)
	in := admin.RoleChange{Email: "grace@example.com", Reason: "left", Operator: "ops"}
	got, err := roles.Revoke(context.Background(), in)
	require.ErrorContains(t, err, "run the revoke again")
	assert.True(t, got.Changed)
	assert.Equal(t, auth.RoleUser, a.byEmail["grace@example.com"].Role)

	e.err = nil
	got, err = roles.Revoke(context.Background(), in)
	require.NoError(t, err)
	assert.False(t, got.Changed)
	assert.Equal(t, 2, got.SessionsEnded)
	assert.Len(t, a.records, 1)
}

func TestOutcomeSays(t *testing.T) {
	tests := []struct {
		out  admin.Outcome
		want string
	}{
		{admin.Outcome{UserID: "u", Email: "a@b.co", Role: auth.RoleAdmin, Changed: true}, "a@b.co (u) is now admin"},
		{admin.Outcome{UserID: "u", Email: "a@b.co", Role: auth.RoleAdmin}, "a@b.co (u) is admin already: no change, no audit record"},
		{admin.Outcome{UserID: "u", Email: "a@b.co", Role: auth.RoleUser, Changed: true, SessionsEnded: 2}, "a@b.co (u) is now user; 2 active session(s) ended"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.out.String())
	}
}
