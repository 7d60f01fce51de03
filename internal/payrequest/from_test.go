package payrequest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

// createStore is a Store that keeps the one request Create writes.
type createStore struct {
	Store // the rest is not used by Create
	made  []Request
}

func (s *createStore) Request(context.Context, string) (Request, error) {
	return Request{}, problem.ErrNotFound
}

func (s *createStore) CreateRequest(_ context.Context, r Request) (*Request, error) {
	s.made = append(s.made, r)
	return nil, nil
}

type oneUser user.User

func (u oneUser) ByID(context.Context, string) (user.User, error) { return user.User(u), nil }

// TestCreateKeepsVerifiedAsker: a request keeps its asker's email only when they had
// verified it (an unproven address could be anyone's), and both views show it as from.
func TestCreateKeepsVerifiedAsker(t *testing.T) {
	tests := []struct {
		name     string
		verified bool
		want     *Party
	}{
		{"verified asker is named", true, &Party{Email: "ben@example.com"}},
		{"unverified asker is not", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &createStore{}
			s := &Service{Store: store, Users: oneUser{ID: "u-ben", Email: "ben@example.com", EmailVerified: tt.verified},
				Now: func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }}
			res, err := s.Create(context.Background(), op.Caller{UserID: "u-ben"}, "key-from-0001",
				CreateInput{To: Party{Email: "Ann@Example.com"}, Amount: 1250, Currency: "USD"})
			require.NoError(t, err)
			require.Len(t, store.made, 1)
			var v View
			require.NoError(t, json.Unmarshal(res.Body, &v))
			assert.Equal(t, tt.want, v.From)
			assert.Equal(t, Party{Email: "ann@example.com"}, v.To)
			assert.Equal(t, tt.want, ViewAt(store.made[0], s.now()).From, "a later read shows the stored asker")
		})
	}
}

// TestViewFromOmitted: a request stored without its asker's email (made before it was
// kept, or by an unverified asker) has no from in the API's JSON.
func TestViewFromOmitted(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		from     string
		wantFrom bool
	}{
		{"with asker", "ben@example.com", true},
		{"without asker", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(ViewAt(Request{ID: "r-1", ToEmail: "ann@example.com", FromEmail: tt.from, Status: StatusPending,
				ExpiresAt: now.Add(time.Hour)}, now))
			require.NoError(t, err)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			from, ok := m["from"]
			assert.Equal(t, tt.wantFrom, ok)
			if tt.wantFrom {
				assert.Equal(t, map[string]any{"email": tt.from}, from)
			}
		})
	}
}
