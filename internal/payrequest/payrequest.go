// Package payrequest is payment requests: a payee asks a person, named by email, for an
// amount; the addressee pays it (a transfer bound to the request, exactly once), declines
// it, or lets it expire; the payee may cancel it while it is open.
//
// A request is stored addressed to the normalised email, never resolved to a user when
// it is made, so making one answers the same whoever the address belongs to. Only the
// account that verified that address sees, pays or declines it.
package payrequest

import (
	"time"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// Status is a request's stored state. A PENDING request past its expiry is shown
// EXPIRED at once and can no longer be paid, declined or cancelled; the expiry sweep
// (Service.ExpireRequests) then stores EXPIRED, which tells both parties.
type Status string

// The statuses.
//
//	PENDING ──pay──▶ PAYING ──transfer COMPLETED──▶ PAID
//	   ▲                │
//	   └─transfer FAILED┘ (no money moved: payable again)
//	PENDING ──decline──▶ DECLINED     PENDING ──cancel──▶ CANCELLED
//	PENDING, past expires_at ⇒ shown EXPIRED ──expiry sweep──▶ EXPIRED (stored)
const (
	StatusPending   Status = "PENDING"
	StatusPaying    Status = "PAYING"
	StatusPaid      Status = "PAID"
	StatusDeclined  Status = "DECLINED"
	StatusCancelled Status = "CANCELLED"
	StatusExpired   Status = "EXPIRED"
)

// Action is what moves a request.
type Action string

// The actions: the addressee's pay and decline, the payee's cancel, and the end of the
// paying transfer's saga (settle when it completed, reopen when it failed).
const (
	ActionPay     Action = "pay"
	ActionDecline Action = "decline"
	ActionCancel  Action = "cancel"
	ActionSettle  Action = "settle"
	ActionReopen  Action = "reopen"
)

// Limits, in the units their names carry.
const (
	ExpiresInHoursMin     = 1
	ExpiresInHoursMax     = 720 // 30 days
	ExpiresInHoursDefault = 168 // 7 days
	NoteRunesMax          = 140
	PageSizeMax           = 100
	PageSizeDefault       = 25
)

// Due is an open request's entry in the expiry index: the request and its expiry.
type Due struct {
	ID        string
	ExpiresAt time.Time
}

// Request is a payment request as stored.
type Request struct {
	ID          string
	PayeeID     string // who asked, and whose wallet in Currency is paid
	ToEmail     string // the addressee, normalised
	FromEmail   string // the payee's verified email when they asked; "" if unverified or stored before it was kept
	AmountMinor int64
	Currency    string
	Note        string
	Status      Status
	TransferID  string // the transfer that is paying (PAYING) or paid (PAID) it
	PayerID     string // who paid or declined it, once someone did
	RequestHash string // fingerprints the create request, for its Idempotency-Key
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpiresAt   time.Time
	Version     int64
}

// StatusAt is the status a request shows at now: EXPIRED for a PENDING one past its
// expiry, else its stored status.
func (r Request) StatusAt(now time.Time) Status {
	if r.Status == StatusPending && !now.Before(r.ExpiresAt) {
		return StatusExpired
	}
	return r.Status
}

// Errors of this package.
var (
	ErrPaying    = problem.New(problem.KindConflict, "payment_request_paying", "a payment of this request is running")
	ErrPaid      = problem.New(problem.KindConflict, "payment_request_paid", "the request is paid")
	ErrDeclined  = problem.New(problem.KindConflict, "payment_request_declined", "the request was declined")
	ErrCancelled = problem.New(problem.KindConflict, "payment_request_cancelled", "the request was cancelled")
	ErrExpired   = problem.New(problem.KindGone, "payment_request_expired", "the request expired")
	ErrNotPayee  = problem.New(problem.KindForbidden, "not_payee", "only the payee of a request can cancel it")
	ErrSelf      = problem.Invalid("self_request", "a request cannot be addressed to your own email")
	ErrExpiry    = problem.Invalid("invalid_expiry", "expires_in_hours must be 1 to 720")
	// errTransition is a move the state machine has no arrow for (a caller's bug).
	errTransition = problem.New(problem.KindConflict, "payment_request_conflict", "the request cannot move that way")
)

// refusals names why a request in a status other than PENDING cannot be acted on.
var refusals = map[Status]error{
	StatusPaying:    ErrPaying,
	StatusPaid:      ErrPaid,
	StatusDeclined:  ErrDeclined,
	StatusCancelled: ErrCancelled,
	StatusExpired:   ErrExpired,
}

// Refusal is why a person's action (pay, decline, cancel) cannot apply to r at now; nil
// when it can: only a PENDING request before its expiry moves.
func Refusal(r Request, now time.Time) error {
	if s := r.StatusAt(now); s != StatusPending {
		if err, ok := refusals[s]; ok {
			return err
		}
		return errTransition
	}
	return nil
}

// arrows is the state machine: from a stored status, by an action, to a status.
var arrows = map[Status]map[Action]Status{
	StatusPending: {ActionPay: StatusPaying, ActionDecline: StatusDeclined, ActionCancel: StatusCancelled},
	StatusPaying:  {ActionSettle: StatusPaid, ActionReopen: StatusPending},
}

// Done reports whether a person's decline or cancel a has already taken r where it takes
// a PENDING request. Only one party can act so (the addressee declines, the payee
// cancels), so a second call is that action again (a retry the client or its SDK sent
// after losing the answer) and is answered with the request as it stands, not refused.
func Done(r Request, a Action) bool {
	if a != ActionDecline && a != ActionCancel {
		return false
	}
	return r.Status == arrows[StatusPending][a]
}

// Next is where action takes r at now, or why it cannot: a person's action needs a
// PENDING request before its expiry (see Refusal); the saga's settle and reopen need a
// PAYING one, whatever the time (a payment that began before the expiry finishes).
func Next(r Request, a Action, now time.Time) (Status, error) {
	if a == ActionPay || a == ActionDecline || a == ActionCancel {
		if err := Refusal(r, now); err != nil {
			return "", err
		}
	}
	to, ok := arrows[r.Status][a]
	if !ok {
		if err, known := refusals[r.Status]; known && r.Status != StatusPaying {
			return "", err
		}
		return "", errTransition
	}
	return to, nil
}

// View is a request as the API shows it.
type View struct {
	ID         string    `json:"id"`
	To         Party     `json:"to"`
	From       *Party    `json:"from,omitempty"`
	PayeeID    string    `json:"payee_id"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Note       string    `json:"note,omitempty"`
	Status     Status    `json:"status"`
	TransferID string    `json:"transfer_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Party names a person by email.
type Party struct {
	Email string `json:"email"`
}

// ViewAt renders r as it stands at now; From only when the request knows its asker's email.
func ViewAt(r Request, now time.Time) View {
	var from *Party
	if r.FromEmail != "" {
		from = &Party{Email: r.FromEmail}
	}
	return View{ID: r.ID, To: Party{Email: r.ToEmail}, From: from, PayeeID: r.PayeeID, Amount: r.AmountMinor, Currency: r.Currency, Note: r.Note,
		Status: r.StatusAt(now), TransferID: r.TransferID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ExpiresAt: r.ExpiresAt}
}
