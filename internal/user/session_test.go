package user

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// memSessions is an in-memory Sessions with the adapter's conditions.
type memSessions struct {
	mu       sync.Mutex
	sessions map[string]SessionRecord
	refresh  map[string]Refresh
}

func newMemSessions() *memSessions {
	return &memSessions{sessions: map[string]SessionRecord{}, refresh: map[string]Refresh{}}
}

func (m *memSessions) StartSession(_ context.Context, s SessionRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.ID] = s
	m.refresh[s.RefreshHash] = Refresh{Hash: s.RefreshHash, SessionID: s.ID, UserID: s.UserID}
	return nil
}

func (m *memSessions) Session(_ context.Context, id string) (SessionRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	if !ok {
		return SessionRecord{}, problem.ErrNotFound
	}
	return s, nil
}

func (m *memSessions) RefreshByHash(_ context.Context, hash string) (Refresh, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.refresh[hash]
	if !ok {
		return Refresh{}, problem.ErrNotFound
	}
	return r, nil
}

func (m *memSessions) Rotate(_ context.Context, old Refresh, next SessionRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, s := m.refresh[old.Hash], m.sessions[next.ID]
	if cur.Used || s.Revoked || s.RefreshHash != old.Hash {
		return ErrInvalidRefresh
	}
	cur.Used = true
	m.refresh[old.Hash] = cur
	m.refresh[next.RefreshHash] = Refresh{Hash: next.RefreshHash, SessionID: next.ID, UserID: next.UserID}
	m.sessions[next.ID] = next
	return nil
}

func (m *memSessions) Revoke(_ context.Context, userID, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	if !ok || s.UserID != userID {
		return problem.ErrNotFound
	}
	s.Revoked = true
	m.sessions[id] = s
	return nil
}

func (m *memSessions) UserSessions(_ context.Context, userID string) ([]SessionRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []SessionRecord
	for _, s := range m.sessions {
		if s.UserID == userID {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func loggedIn(t *testing.T) (*Service, *clock, Session) {
	t.Helper()
	s, _, _, clk, _ := newGuardedService(t)
	ctx := context.Background()
	_, err := s.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada"})
	require.NoError(t, err)
	sess, err := s.Login(ctx, LoginInput{Email: "ada@example.com", Password: "correct horse battery", Device: " Ada's\x07 phone ", IP: "203.0.113.9"})
	require.NoError(t, err)
	require.NotEmpty(t, sess.RefreshToken)
	return s, clk, sess
}

// TestRefreshRotatesAndDetectsReuse: each refresh token works once; presenting a used
// one revokes the whole session, so its newest token stops working too.
func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	s, clk, first := loggedIn(t)
	ctx := context.Background()
	clk.advance(time.Minute)
	second, err := s.Refresh(ctx, RefreshInput{RefreshToken: first.RefreshToken})
	require.NoError(t, err)
	assert.Equal(t, first.SessionID, second.SessionID, "the same session")
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "a new refresh token")

	_, err = s.Refresh(ctx, RefreshInput{RefreshToken: first.RefreshToken})
	require.ErrorIs(t, err, ErrRefreshReused)
	_, err = s.Refresh(ctx, RefreshInput{RefreshToken: second.RefreshToken})
	assert.ErrorIs(t, err, ErrInvalidRefresh, "the family is revoked")
	_, err = s.Refresh(ctx, RefreshInput{RefreshToken: "never issued"})
	assert.ErrorIs(t, err, ErrInvalidRefresh)
}

func TestRefreshAfterTheSessionExpires(t *testing.T) {
	s, clk, first := loggedIn(t)
	clk.advance(RefreshTTL)
	_, err := s.Refresh(context.Background(), RefreshInput{RefreshToken: first.RefreshToken})
	assert.ErrorIs(t, err, ErrInvalidRefresh)
}

func TestSessionsListAndEnd(t *testing.T) {
	s, _, first := loggedIn(t)
	ctx := context.Background()
	other, err := s.Login(ctx, LoginInput{Email: "ada@example.com", Password: "correct horse battery", Device: "laptop"})
	require.NoError(t, err)
	u, err := s.store.ByEmail(ctx, "ada@example.com")
	require.NoError(t, err)
	list, err := s.ListSessions(ctx, u.ID, first.SessionID)
	require.NoError(t, err)
	require.Len(t, list.Items, 2)
	byID := map[string]SessionRecord{}
	for _, r := range list.Items {
		byID[r.ID] = r
	}
	assert.True(t, byID[first.SessionID].Current)
	assert.Equal(t, "Ada's phone", byID[first.SessionID].Device, "trimmed, control characters dropped")
	assert.Equal(t, "203.0.113.9", byID[first.SessionID].IP)
	assert.False(t, byID[other.SessionID].Current)

	assert.ErrorIs(t, s.EndSession(ctx, "someone-else", other.SessionID), ErrSessionNotFound)
	require.NoError(t, s.EndSession(ctx, u.ID, other.SessionID))
	list, err = s.ListSessions(ctx, u.ID, first.SessionID)
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	_, err = s.Refresh(ctx, RefreshInput{RefreshToken: other.RefreshToken})
	assert.ErrorIs(t, err, ErrInvalidRefresh, "an ended session refreshes no more")
}

// TestRefreshReadsTheRoleAgain: a refresh signs the role the account has now (a grant
// shows at the next refresh), and after EndAllSessions (a revoke) no session refreshes.
func TestRefreshReadsTheRoleAgain(t *testing.T) {
	s, _, first := loggedIn(t)
	ctx := context.Background()
	store := s.store.(*memStore)
	u, err := s.store.ByEmail(ctx, "ada@example.com")
	require.NoError(t, err)
	assert.Equal(t, "tok:"+u.ID+":user", first.AccessToken)
	other, err := s.Login(ctx, LoginInput{Email: "ada@example.com", Password: "correct horse battery"})
	require.NoError(t, err)

	u.Role = auth.RoleAdmin
	store.byID[u.ID] = u
	next, err := s.Refresh(ctx, RefreshInput{RefreshToken: first.RefreshToken})
	require.NoError(t, err)
	assert.Equal(t, "tok:"+u.ID+":admin", next.AccessToken, "the granted role, read at the refresh")

	ended, err := s.EndAllSessions(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, ended)
	for _, tok := range []string{next.RefreshToken, other.RefreshToken} {
		_, err = s.Refresh(ctx, RefreshInput{RefreshToken: tok})
		assert.ErrorIs(t, err, ErrInvalidRefresh, "no token out of an ended session")
	}
	ended, err = s.EndAllSessions(ctx, u.ID)
	require.NoError(t, err)
	assert.Zero(t, ended, "twice: nothing left to end")
}
