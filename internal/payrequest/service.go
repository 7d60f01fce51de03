package payrequest

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/transfer"
	"github.com/serverless-wallet/wallet/internal/user"
)

// Store keeps payment requests.
type Store interface {
	// CreateRequest writes r and its entries in the payee's and the addressee's lists,
	// unless a request has r's id: then it writes nothing and returns that one.
	CreateRequest(ctx context.Context, r Request) (*Request, error)
	Request(ctx context.Context, id string) (Request, error) // problem.ErrNotFound when absent
	// RequestsBy and RequestsTo page the requests a payee made and those addressed to an
	// email, newest first, and the cursor of the next page ("" on the last).
	RequestsBy(ctx context.Context, payeeID string, limit int, cursor string) ([]Request, string, error)
	RequestsTo(ctx context.Context, email string, limit int, cursor string) ([]Request, string, error)
	// MoveRequest writes a person's action on r (decline, cancel): its status to, by
	// actor, on condition that the stored request is PENDING before its expiry at now;
	// the stored request's Refusal otherwise.
	MoveRequest(ctx context.Context, r Request, to Status, actor string, now time.Time) (Request, error)
	// DueRequests pages the expiry index: the open requests whose expiry is at or before
	// now, after the index position after ("" from the start), and the position to go on
	// from ("" when the whole index was read).
	DueRequests(ctx context.Context, now time.Time, limit int, after string) ([]Due, string, error)
	// ExpireRequest stores EXPIRED on d's request and drops d from the index in one
	// write, on condition that the request is PENDING and its expiry is at or before
	// now; expired says whether this call moved it. A request that moved on (paid,
	// declined, cancelled) is left as it is and its entry, if one is left, dropped.
	ExpireRequest(ctx context.Context, d Due, now time.Time) (expired bool, err error)
}

// Users reads the caller's account (their verified email).
type Users interface {
	ByID(ctx context.Context, id string) (user.User, error)
}

// Payer pays a request through the transfer saga (transfer.Service).
type Payer interface {
	PayRequest(ctx context.Context, c op.Caller, requestID, key string, in transfer.PayInput,
		load func(ctx context.Context) (transfer.RequestPayment, error)) (op.Result, error)
}

var _ Payer = (*transfer.Service)(nil)

// Service implements the payment request API.
type Service struct {
	Store Store
	Users Users
	Payer Payer // nil in the functions that do not pay
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// CreateInput is the body of POST /v1/payment-requests.
type CreateInput struct {
	To             Party       `json:"to"`
	Amount         money.Minor `json:"amount"`
	Currency       string      `json:"currency"`
	Note           string      `json:"note,omitempty"`
	ExpiresInHours *int        `json:"expires_in_hours,omitempty"`
}

// requestIDSpace is the UUID namespace of request ids, derived from the payee and the
// Idempotency-Key of the request that made them (a fixed random UUID).
var requestIDSpace = uuid.MustParse("0b8f6a1e-5c2d-4f7a-8e39-61d4c2a9b7f5")

// IDFor derives a request's id from its payee and the Idempotency-Key that made it, so
// the request's own conditional write makes it once.
func IDFor(payeeID, key string) string {
	return uuid.NewSHA1(requestIDSpace, []byte(payeeID+"\n"+key)).String()
}

const requestHashChars = 32

// Create makes a request from the caller (the payee) to the person at in.To.Email. It
// answers the same for any well-formed address: the address is not looked up.
func (s *Service) Create(ctx context.Context, c op.Caller, key string, in CreateInput) (op.Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return op.Result{}, err
	}
	hash, err := idempotency.Hash("payment_request", "", in)
	if err != nil {
		return op.Result{}, err
	}
	id := IDFor(c.UserID, key)
	if stored, err := s.Store.Request(ctx, id); err == nil { // the key was used: replay
		return s.replay(stored, hash)
	} else if !errors.Is(err, problem.ErrNotFound) {
		return op.Result{}, err
	}
	r, err := s.build(ctx, c, id, hash, in)
	if err != nil {
		return op.Result{}, err
	}
	stored, err := s.Store.CreateRequest(ctx, r)
	if err != nil {
		return op.Result{}, err
	}
	if stored != nil {
		return s.replay(*stored, hash)
	}
	body, err := json.Marshal(ViewAt(r, s.now()))
	return op.Result{Outcome: op.Created, Body: body}, err
}

func (s *Service) replay(r Request, hash string) (op.Result, error) {
	if r.RequestHash != hash[:requestHashChars] {
		return op.Result{}, idempotency.ErrKeyReused
	}
	body, err := json.Marshal(ViewAt(r, s.now()))
	return op.Result{Outcome: op.Created, Body: body, Replayed: true}, err
}

// build checks a new request's input and makes it.
func (s *Service) build(ctx context.Context, c op.Caller, id, hash string, in CreateInput) (Request, error) {
	email, err := user.NormalizeEmail(in.To.Email)
	if err != nil {
		return Request{}, err
	}
	if err := money.Positive(int64(in.Amount)); err != nil {
		return Request{}, err
	}
	if _, err := money.ParseCurrency(in.Currency); err != nil {
		return Request{}, err
	}
	if err := op.ValidateText("note", in.Note, NoteRunesMax); err != nil {
		return Request{}, err
	}
	hours := ExpiresInHoursDefault
	if in.ExpiresInHours != nil {
		hours = *in.ExpiresInHours
	}
	if hours < ExpiresInHoursMin || hours > ExpiresInHoursMax {
		return Request{}, ErrExpiry
	}
	me, err := s.Users.ByID(ctx, c.UserID)
	if err != nil {
		return Request{}, err
	}
	if me.Email == email {
		return Request{}, ErrSelf
	}
	from := "" // an unverified address could be anyone's: the addressee is shown only a proven one
	if me.EmailVerified {
		from = me.Email
	}
	now := s.now()
	return Request{ID: id, PayeeID: c.UserID, ToEmail: email, FromEmail: from, AmountMinor: int64(in.Amount), Currency: in.Currency, Note: in.Note,
		Status: StatusPending, RequestHash: hash[:requestHashChars], CreatedAt: now, UpdatedAt: now,
		ExpiresAt: now.Add(time.Duration(hours) * time.Hour), Version: 1}, nil
}

// role is the caller's part in a request.
type role int

const (
	roleNone role = iota
	rolePayee
	roleAddressee
)

// verifiedEmail is the caller's email when they verified it, else "".
func (s *Service) verifiedEmail(ctx context.Context, c op.Caller) (string, error) {
	me, err := s.Users.ByID(ctx, c.UserID)
	if errors.Is(err, problem.ErrNotFound) {
		return "", nil
	}
	if err != nil || !me.EmailVerified {
		return "", err
	}
	return me.Email, nil
}

// visible reads a request the caller is a party to, and their part; anyone else is
// told it does not exist.
func (s *Service) visible(ctx context.Context, c op.Caller, id string) (Request, role, error) {
	if !op.IsID(id) {
		return Request{}, roleNone, problem.ErrNotFound
	}
	r, err := s.Store.Request(ctx, id)
	if err != nil {
		return Request{}, roleNone, err
	}
	if r.PayeeID == c.UserID {
		return r, rolePayee, nil
	}
	email, err := s.verifiedEmail(ctx, c)
	if err != nil {
		return Request{}, roleNone, err
	}
	if email != "" && email == r.ToEmail {
		return r, roleAddressee, nil
	}
	return Request{}, roleNone, problem.ErrNotFound
}

// Get returns a request to either party.
func (s *Service) Get(ctx context.Context, c op.Caller, id string) (View, error) {
	r, _, err := s.visible(ctx, c, id)
	if err != nil {
		return View{}, err
	}
	return ViewAt(r, s.now()), nil
}

// Page is a page of requests.
type Page struct {
	Items      []View  `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// The roles of a list.
const (
	RoleSent     = "sent"
	RoleReceived = "received"
)

// List pages the requests the caller sent, or those addressed to their verified email
// (none while it is not verified), newest first.
func (s *Service) List(ctx context.Context, c op.Caller, listRole string, limit int, cursor string) (Page, error) {
	if err := op.CheckPageSize(limit, PageSizeMax); err != nil {
		return Page{}, err
	}
	var rs []Request
	var next string
	var err error
	switch listRole {
	case RoleSent:
		rs, next, err = s.Store.RequestsBy(ctx, c.UserID, limit, cursor)
	case RoleReceived:
		var email string
		if email, err = s.verifiedEmail(ctx, c); err == nil && email != "" {
			rs, next, err = s.Store.RequestsTo(ctx, email, limit, cursor)
		}
	default:
		return Page{}, problem.Invalid("invalid_role", `role must be "sent" or "received"`)
	}
	if err != nil {
		return Page{}, err
	}
	now := s.now()
	p := Page{Items: make([]View, 0, len(rs)), NextCursor: op.NextCursor(next)}
	for _, r := range rs {
		p.Items = append(p.Items, ViewAt(r, now))
	}
	return p, nil
}

// Decline is the addressee's refusal of an open request.
func (s *Service) Decline(ctx context.Context, c op.Caller, id string) (View, error) {
	return s.act(ctx, c, id, roleAddressee, ActionDecline)
}

// Cancel is the payee's withdrawal of an open request.
func (s *Service) Cancel(ctx context.Context, c op.Caller, id string) (View, error) {
	return s.act(ctx, c, id, rolePayee, ActionCancel)
}

// ErrNotPayer is the payee acting as the addressee.
var ErrNotPayer = problem.New(problem.KindForbidden, "not_payer", "only the person a request is addressed to can pay or decline it")

func (s *Service) act(ctx context.Context, c op.Caller, id string, who role, a Action) (View, error) {
	r, got, err := s.visible(ctx, c, id)
	if err != nil {
		return View{}, err
	}
	if got != who {
		if who == rolePayee {
			return View{}, ErrNotPayee
		}
		return View{}, ErrNotPayer
	}
	now := s.now()
	if Done(r, a) {
		return ViewAt(r, now), nil // the same action again: answered, nothing written
	}
	to, err := Next(r, a, now)
	if err != nil {
		return View{}, err
	}
	moved, err := s.Store.MoveRequest(ctx, r, to, c.UserID, now)
	if errors.Is(err, refusals[to]) { // the same action, sent twice at once, moved it first
		if moved, err = s.Store.Request(ctx, id); err != nil {
			return View{}, err
		}
		return ViewAt(moved, now), nil
	}
	if err != nil {
		return View{}, err
	}
	return ViewAt(moved, now), nil
}

// Pay pays a request from the caller's wallet, once per Idempotency-Key, and once per
// request whatever the keys (see transfer.Service.PayRequest): the answer is the
// transfer's, like POST /v1/transfers.
func (s *Service) Pay(ctx context.Context, c op.Caller, id, key string, in transfer.PayInput) (op.Result, error) {
	if !op.IsID(id) {
		return op.Result{}, problem.ErrNotFound
	}
	return s.Payer.PayRequest(ctx, c, id, key, in, func(ctx context.Context) (transfer.RequestPayment, error) {
		r, got, err := s.visible(ctx, c, id)
		if err != nil {
			return transfer.RequestPayment{}, err
		}
		if got != roleAddressee {
			return transfer.RequestPayment{}, ErrNotPayer
		}
		if _, err := Next(r, ActionPay, s.now()); err != nil {
			return transfer.RequestPayment{}, err
		}
		return transfer.RequestPayment{RequestID: r.ID, PayeeID: r.PayeeID, AmountMinor: r.AmountMinor, Currency: r.Currency,
			Note: r.Note, ExpiresAt: r.ExpiresAt}, nil
	})
}
