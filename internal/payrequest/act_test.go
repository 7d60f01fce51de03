package payrequest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/user"
)

const (
	actRequestID = "0b9f6a52-7c1d-4e44-9a53-0c4f7a1c2d3e"
	actPayee     = "u-payee"
	actPayer     = "u-payer"
	actPayerMail = "payer@example.com"
)

// actStore holds one request. MoveRequest moves it as the ledger does: only a PENDING
// one, else the stored request's refusal; raceTo first stores that status, as the same
// action sent at once by another call would have, before the move is tried.
type actStore struct {
	Store  // the rest is not used by decline and cancel
	stored Request
	raceTo Status
	moves  int
}

func (s *actStore) Request(context.Context, string) (Request, error) { return s.stored, nil }

func (s *actStore) MoveRequest(_ context.Context, _ Request, to Status, _ string, now time.Time) (Request, error) {
	if s.raceTo != "" {
		s.stored.Status, s.raceTo = s.raceTo, ""
	}
	if err := Refusal(s.stored, now); err != nil {
		return Request{}, err
	}
	s.moves++
	s.stored.Status = to
	return s.stored, nil
}

// TestDeclineAndCancelAnswerTheirRetry: a decline or cancel sent again (the SDK's retry
// of a lost answer, or two at once) answers the request as the first left it and writes
// nothing more; any other closed request is still refused.
func TestDeclineAndCancelAnswerTheirRetry(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	payer := user.User{ID: actPayer, Email: actPayerMail, EmailVerified: true}
	tests := []struct {
		name      string
		stored    Status
		raceTo    Status
		caller    string
		action    Action
		want      Status
		wantErr   error
		wantMoves int
	}{
		{"decline an open request", StatusPending, "", actPayer, ActionDecline, StatusDeclined, nil, 1},
		{"decline it again", StatusDeclined, "", actPayer, ActionDecline, StatusDeclined, nil, 0},
		{"a decline that lost the race to the same decline", StatusPending, StatusDeclined, actPayer, ActionDecline, StatusDeclined, nil, 0},
		{"cancel an open request", StatusPending, "", actPayee, ActionCancel, StatusCancelled, nil, 1},
		{"cancel it again", StatusCancelled, "", actPayee, ActionCancel, StatusCancelled, nil, 0},
		{"a cancel that lost the race to the same cancel", StatusPending, StatusCancelled, actPayee, ActionCancel, StatusCancelled, nil, 0},
		{"decline a cancelled request", StatusCancelled, "", actPayer, ActionDecline, "", ErrCancelled, 0},
		{"cancel a declined request", StatusDeclined, "", actPayee, ActionCancel, "", ErrDeclined, 0},
		{"a decline that lost the race to a cancel", StatusPending, StatusCancelled, actPayer, ActionDecline, "", ErrCancelled, 0},
		{"decline a paid request", StatusPaid, "", actPayer, ActionDecline, "", ErrPaid, 0},
		{"cancel an expired request", StatusExpired, "", actPayee, ActionCancel, "", ErrExpired, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &actStore{raceTo: tt.raceTo, stored: Request{ID: actRequestID, PayeeID: actPayee, ToEmail: actPayerMail,
				AmountMinor: 700, Currency: "USD", Status: tt.stored, ExpiresAt: now.Add(time.Hour)}}
			s := &Service{Store: store, Users: oneUser(payer), Now: func() time.Time { return now }}
			c := op.Caller{UserID: tt.caller}
			var v View
			var err error
			if tt.action == ActionDecline {
				v, err = s.Decline(context.Background(), c, actRequestID)
			} else {
				v, err = s.Cancel(context.Background(), c, actRequestID)
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, v.Status)
				assert.Equal(t, actRequestID, v.ID)
			}
			assert.Equal(t, tt.wantMoves, store.moves, "writes")
		})
	}
}
