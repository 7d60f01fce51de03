package notification_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/notification"
)

// TestForRequestNamesAsker checks the addressee's request messages name who asked when
// the event carries the asker's verified email, and read as before when it does not.
func TestForRequestNamesAsker(t *testing.T) {
	tests := []struct {
		event string
		want  []note
	}{
		{"request-created", []note{
			{"u-payee", event.PaymentRequestCreated, "You asked ann@example.com for 12.50 USD."},
			{"u-payer", event.PaymentRequestCreated, "ben@example.com asked you for 12.50 USD."},
		}},
		{"request-created-unverified", []note{ // no verified asker email: the addressee is not told a guess
			{"u-payee", event.PaymentRequestCreated, "You asked ann@example.com for 12.50 USD."},
			{"u-payer", event.PaymentRequestCreated, "You were asked for 12.50 USD."},
		}},
		{"request-cancelled", []note{
			{"u-payee", event.PaymentRequestCancelled, "You cancelled your request of 12.50 USD."},
			{"u-payer", event.PaymentRequestCancelled, "A request of 12.50 USD from ben@example.com to you was cancelled."},
		}},
		{"request-expired-from", []note{
			{"u-payee", event.PaymentRequestExpired, "Your request of 12.50 USD to ann@example.com expired."},
			{"u-payer", event.PaymentRequestExpired, "A request of 12.50 USD from ben@example.com to you expired."},
		}},
		{"request-paid-from", []note{ // the payer paid it knowingly: their message is unchanged
			{"u-payee", event.PaymentRequestPaid, "Your request of 12.50 USD was paid."},
			{"u-payer", event.PaymentRequestPaid, "You paid a request of 12.50 USD."},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			e := sample(t, tt.event)
			var got []note
			for _, n := range notification.For(e) {
				got = append(got, note{n.UserID, n.Type, n.Message})
				assert.Equal(t, e.Payload.PaymentRequestID, n.PaymentRequestID)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
