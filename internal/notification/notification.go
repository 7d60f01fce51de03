// Package notification turns wallet events into notifications for the people they
// concern, lists them, and marks them read. Handling is idempotent by event id: a
// notification's id is derived from the event and its recipient.
package notification

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

// Limits.
const (
	PageSizeMax     = 100
	PageSizeDefault = 25
)

// Notification is one message to one user.
type Notification struct {
	ID         string `json:"id"`
	Fact       string `json:"-"` // what it is about: its event and recipient, never a time (see FactOf)
	UserID     string `json:"-"`
	Type       string `json:"type"`
	Message    string `json:"message"`
	TransferID string `json:"transfer_id,omitempty"`
	// PaymentRequestID is, on a payment request's notification, the request.
	PaymentRequestID string    `json:"payment_request_id,omitempty"`
	Read             bool      `json:"read"`
	CreatedAt        time.Time `json:"created_at"`
}

// Store keeps notifications.
type Store interface {
	// Exists reports whether a notification of n's fact is stored.
	Exists(ctx context.Context, n Notification) (bool, error)
	// Add stores n unless a notification of its fact exists (then it does nothing).
	Add(ctx context.Context, n Notification) error
	List(ctx context.Context, userID string, limit int, cursor string) ([]Notification, string, int64, error)
	MarkRead(ctx context.Context, userID, id string) error // problem.ErrNotFound when absent
	MarkAllRead(ctx context.Context, userID string, now time.Time) error
}

// Text is one push to a user's subscribed channels: the message and the attributes the
// subscriptions filter on (user_id, type).
type Text struct {
	Message    string
	Attributes map[string]string
}

// Pusher sends notifications to the users' subscribed channels (email, SMS, …), all of
// one event's in one request.
type Pusher interface {
	PublishTexts(ctx context.Context, texts []Text) error
}

// Addressees finds the account of an email: a payment request names its payer by
// address only.
type Addressees interface {
	ByEmail(ctx context.Context, email string) (user.User, error) // problem.ErrNotFound when absent
}

// Service handles events and serves the API.
type Service struct {
	Store Store
	Push  Pusher
	Users Addressees // the consumer's: finds a payment request's addressee
}

// FactOf names what a notification is about: its event's id (the transfer and the
// status it reached, the credit's posting, …) and its recipient, never a time, so the
// store keeps one notification per fact however often, and whenever, it is told.
func FactOf(e event.Event, userID string) string {
	sum := sha256.Sum256([]byte(e.ID + "|" + userID))
	return hex.EncodeToString(sum[:8])
}

// IDFor derives a notification's id from its fact, ordered by the event's time (the
// list is newest first).
func IDFor(e event.Event, userID string) string {
	return fmt.Sprintf("%013d-%s", e.Time.UnixMilli(), FactOf(e, userID))
}

// For returns the notifications an event implies: a completed transfer (a refund too)
// tells both parties, a failed or released one tells the payer, a credit tells the owner.
func For(e event.Event) []Notification {
	p := e.Payload
	amount := money.Format(p.AmountMinor, p.Currency)
	one := func(user, msg string) Notification {
		return Notification{ID: IDFor(e, user), Fact: FactOf(e, user), UserID: user, Type: e.Type, Message: msg, TransferID: p.TransferID,
			PaymentRequestID: p.PaymentRequestID, CreatedAt: e.Time}
	}
	// both tells a payment request's payee and, when it has an account, its payer.
	both := func(payee, payer string) []Notification {
		out := []Notification{one(p.DestinationOwnerID, payee)}
		if p.SourceOwnerID != "" && p.SourceOwnerID != p.DestinationOwnerID {
			out = append(out, one(p.SourceOwnerID, payer))
		}
		return out
	}
	switch e.Type {
	case event.TransferCompleted:
		if p.RefundOf != "" { // the refund's source is the payee who refunds
			return []Notification{one(p.SourceOwnerID, "You refunded "+amount+"."), one(p.DestinationOwnerID, "You were refunded "+amount+".")}
		}
		out := []Notification{one(p.SourceOwnerID, "You sent "+amount+".")}
		if p.DestinationOwnerID != p.SourceOwnerID {
			out = append(out, one(p.DestinationOwnerID, "You received "+amount+"."))
		}
		return out
	case event.TransferFailed:
		return []Notification{one(p.SourceOwnerID, fmt.Sprintf("Your transfer of %s failed (%s); no money moved.", amount, p.FailureReason))}
	case event.TransferReleased:
		return []Notification{one(p.SourceOwnerID, "Your hold of "+amount+" was released.")}
	case event.CreditCompleted:
		return []Notification{one(p.OwnerID, "Your wallet was credited "+amount+".")}
	case event.WithdrawalCompleted:
		return []Notification{one(p.OwnerID, "You withdrew "+amount+".")}
	case event.PaymentRequestCreated:
		asked := "You were asked for " + amount + "."
		if p.FromEmail != "" {
			asked = p.FromEmail + " asked you for " + amount + "."
		}
		return both("You asked "+p.ToEmail+" for "+amount+".", asked)
	case event.PaymentRequestPaid:
		return both("Your request of "+amount+" was paid.", "You paid a request of "+amount+".")
	case event.PaymentRequestDeclined:
		return both("Your request of "+amount+" was declined.", "You declined a request of "+amount+".")
	case event.PaymentRequestCancelled:
		return both("You cancelled your request of "+amount+".", requestToYou(p, amount)+" was cancelled.")
	case event.PaymentRequestExpired:
		return both("Your request of "+amount+" to "+p.ToEmail+" expired.", requestToYou(p, amount)+" expired.")
	}
	return nil
}

// requestToYou names a request to its addressee, with who asked when the event knows.
func requestToYou(p event.Payload, amount string) string {
	if p.FromEmail != "" {
		return "A request of " + amount + " from " + p.FromEmail + " to you"
	}
	return "A request of " + amount + " to you"
}

// Handle pushes and stores an event's notifications. Those already stored are skipped;
// the others are pushed together, in one request, then stored. One pushed but not
// stored (a crash in between) is pushed again on redelivery: the user's channels get it
// at least once, the API exactly once. A notification without a recipient fails the
// event once the others are handled.
func (s *Service) Handle(ctx context.Context, e event.Event) error {
	if err := s.findPayer(ctx, &e); err != nil {
		return err
	}
	var due []Notification
	var unaddressed error
	for _, n := range For(e) {
		if n.UserID == "" {
			unaddressed = fmt.Errorf("event %s: notification without a recipient", e.ID)
			continue
		}
		done, err := s.Store.Exists(ctx, n)
		if err != nil {
			return err
		}
		if !done {
			due = append(due, n)
		}
	}
	if len(due) == 0 {
		return unaddressed
	}
	texts := make([]Text, len(due))
	for i, n := range due {
		texts[i] = Text{Message: n.Message, Attributes: map[string]string{"user_id": n.UserID, "type": n.Type}}
	}
	if err := s.Push.PublishTexts(ctx, texts); err != nil {
		return err
	}
	for _, n := range due {
		if err := s.Store.Add(ctx, n); err != nil {
			return err
		}
	}
	return unaddressed
}

// findPayer names a payment request's payer when the event does not (a request made,
// cancelled or expired before anyone acted on it): the account that verified the request's
// address, if there is one. The address alone is never told anything.
func (s *Service) findPayer(ctx context.Context, e *event.Event) error {
	if e.Payload.PaymentRequestID == "" || e.Payload.SourceOwnerID != "" || e.Payload.ToEmail == "" || s.Users == nil {
		return nil
	}
	u, err := s.Users.ByEmail(ctx, e.Payload.ToEmail)
	switch {
	case errors.Is(err, problem.ErrNotFound):
		return nil
	case err != nil:
		return err
	case u.EmailVerified:
		e.Payload.SourceOwnerID = u.ID
	}
	return nil
}

// Page is the API's list answer.
type Page struct {
	Items       []Notification `json:"items"`
	NextCursor  *string        `json:"next_cursor"`
	UnreadCount int64          `json:"unread_count"`
}

// List returns the caller's notifications, newest first.
func (s *Service) List(ctx context.Context, userID string, limit int, cursor string) (Page, error) {
	if err := op.CheckPageSize(limit, PageSizeMax); err != nil {
		return Page{}, err
	}
	items, next, unread, err := s.Store.List(ctx, userID, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	p := Page{Items: items, UnreadCount: unread}
	if p.Items == nil {
		p.Items = []Notification{}
	}
	p.NextCursor = op.NextCursor(next)
	return p, nil
}

// MarkRead marks one of the caller's notifications read.
func (s *Service) MarkRead(ctx context.Context, userID, id string) error {
	if len(id) > 64 {
		return problem.ErrNotFound
	}
	return s.Store.MarkRead(ctx, userID, id)
}

// MarkAllRead marks every notification so far read.
func (s *Service) MarkAllRead(ctx context.Context, userID string) error {
	return s.Store.MarkAllRead(ctx, userID, time.Now().UTC())
}
