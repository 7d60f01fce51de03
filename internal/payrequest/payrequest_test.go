package payrequest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNext(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	open := Request{Status: StatusPending, ExpiresAt: now.Add(time.Hour)}
	past := Request{Status: StatusPending, ExpiresAt: now}
	in := func(s Status) Request { return Request{Status: s, ExpiresAt: now.Add(time.Hour)} }
	payingPast := Request{Status: StatusPaying, ExpiresAt: now.Add(-time.Hour)}
	tests := []struct {
		name string
		r    Request
		a    Action
		to   Status
		err  error
	}{
		{"pay an open request", open, ActionPay, StatusPaying, nil},
		{"decline an open request", open, ActionDecline, StatusDeclined, nil},
		{"cancel an open request", open, ActionCancel, StatusCancelled, nil},
		{"pay at its expiry", past, ActionPay, "", ErrExpired},
		{"decline after its expiry", past, ActionDecline, "", ErrExpired},
		{"cancel after its expiry", past, ActionCancel, "", ErrExpired},
		{"pay while a payment runs", in(StatusPaying), ActionPay, "", ErrPaying},
		{"pay a paid request", in(StatusPaid), ActionPay, "", ErrPaid},
		{"pay a declined request", in(StatusDeclined), ActionPay, "", ErrDeclined},
		{"pay a cancelled request", in(StatusCancelled), ActionPay, "", ErrCancelled},
		{"cancel a paid request", in(StatusPaid), ActionCancel, "", ErrPaid},
		{"decline a cancelled request", in(StatusCancelled), ActionDecline, "", ErrCancelled},
		{"settle a payment", in(StatusPaying), ActionSettle, StatusPaid, nil},
		{"reopen after a failed payment", in(StatusPaying), ActionReopen, StatusPending, nil},
		{"settle a payment begun before the expiry", payingPast, ActionSettle, StatusPaid, nil},
		{"settle twice", in(StatusPaid), ActionSettle, "", ErrPaid},
		{"reopen a paid request", in(StatusPaid), ActionReopen, "", ErrPaid},
		{"settle an open request", open, ActionSettle, "", errTransition},
		{"reopen an open request", open, ActionReopen, "", errTransition},
		{"pay a stored expired request", in(StatusExpired), ActionPay, "", ErrExpired},
		{"decline a stored expired request", in(StatusExpired), ActionDecline, "", ErrExpired},
		{"cancel a stored expired request", in(StatusExpired), ActionCancel, "", ErrExpired},
		{"settle a stored expired request", in(StatusExpired), ActionSettle, "", ErrExpired},
		{"reopen a stored expired request", in(StatusExpired), ActionReopen, "", ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, err := Next(tt.r, tt.a, now)
			assert.Equal(t, tt.to, to)
			if tt.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}
}

func TestStatusAt(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		status  Status
		expires time.Time
		want    Status
	}{
		{"open before its expiry", StatusPending, now.Add(time.Millisecond), StatusPending},
		{"open at its expiry", StatusPending, now, StatusExpired},
		{"paid after its expiry stays paid", StatusPaid, now.Add(-time.Hour), StatusPaid},
		{"a running payment after the expiry", StatusPaying, now.Add(-time.Hour), StatusPaying},
		{"declined", StatusDeclined, now.Add(time.Hour), StatusDeclined},
		{"stored expired", StatusExpired, now.Add(-time.Minute), StatusExpired},
		{"stored expired, read on a clock behind the sweep's", StatusExpired, now.Add(time.Second), StatusExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Status: tt.status, ExpiresAt: tt.expires}
			assert.Equal(t, tt.want, r.StatusAt(now))
			assert.Equal(t, tt.want, ViewAt(r, now).Status)
		})
	}
}
