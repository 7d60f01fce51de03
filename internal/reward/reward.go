// Package reward gives the payer of a completed transfer reward points, exactly once
// per transfer, and redeems points into a wallet through the ledger: points and money
// move in one transaction or not at all.
package reward

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// Rules and limits. Points are earned and held per currency, and a point is worth the
// same share of a major unit in every currency: one point is earned per full major unit
// a payer transfers, and 10^pointsExponent points redeem as one major unit (so 1 % back).
const (
	DefaultPointsPerTransferMax = 1_000  // cap on the points one transfer earns
	DefaultPointsPerDayMax      = 10_000 // cap on the points one user earns per UTC day, per currency
	PageSizeMax                 = 100
	PageSizeDefault             = 25
	pointsExponent              = 2 // 100 USD points redeem as $1.00, 100 JPY points as ¥1
)

// Kinds of history entries.
const (
	KindEarn   = "earn"
	KindRedeem = "redeem"
)

// Errors.
var (
	ErrInsufficientPoints = problem.Unprocessable("insufficient_points", "not enough reward points")
	ErrInvalidPoints      = problem.Invalid("invalid_points", "points must be a positive integer")
)

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// PointsFor is what a transfer of amountMinor in currency c earns: one point per full
// major unit, at most capPoints.
func PointsFor(amountMinor int64, c money.Currency, capPoints int64) int64 {
	return min(amountMinor/pow10(c.Exponent), capPoints)
}

// MinorFor is the money points of currency c redeem as: points/10^pointsExponent major
// units. For a currency with fewer than two decimals the points must be a multiple of
// what one minor unit is worth (100 for JPY).
func MinorFor(points int64, c money.Currency) (int64, error) {
	if c.Exponent >= pointsExponent {
		per := pow10(c.Exponent - pointsExponent)
		if points > math.MaxInt64/per {
			return 0, ErrInvalidPoints
		}
		return points * per, nil
	}
	per := pow10(pointsExponent - c.Exponent)
	if points%per != 0 {
		return 0, problem.Invalid("invalid_points", fmt.Sprintf("%s points redeem in multiples of %d (one minor unit)", c.Code, per))
	}
	return points / per, nil
}

// Entry is one line of a user's points history.
type Entry struct {
	ID         string    `json:"id"`
	Points     int64     `json:"points"`
	Currency   string    `json:"currency"`
	Kind       string    `json:"kind"`
	TransferID string    `json:"transfer_id,omitempty"`
	WalletID   string    `json:"wallet_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// Redemption is written atomically: the points debit, its history entry, the wallet
// credit with its posting from the rewards account, and the idempotency completion.
type Redemption struct {
	UserID     string
	Entry      Entry
	Wallet     ledger.Delta
	Posting    ledger.Posting
	Completion *idempotency.Completion
}

// Balance is a user's points in one currency.
type Balance struct {
	Currency string `json:"currency"`
	Points   int64  `json:"points"`
}

// DayCount is the day a points balance counts earnings for (YYYY-MM-DD, UTC; "" when it
// has counted none) and the points earned that day.
type DayCount struct {
	Day    string
	Points int64
}

// Standing is what an earn is decided on, read once: the points userID earned in a
// currency on the earn's day, the points owed on the balance, and the day the balance
// counts with its count (the earn's write is conditional on all three being unchanged).
type Standing struct {
	EarnedOnDay int64
	Owed        int64
	Counted     DayCount
}

// Store keeps points.
type Store interface {
	// Standing reads userID's points balance in currency (and, when the balance counts
	// another day, day's own count): what an earn on day (YYYY-MM-DD, UTC) decides on.
	Standing(ctx context.Context, userID, currency, day string) (Standing, error)
	// Claim returns what a transfer's earn and its refunds recorded for userID, its payer.
	Claim(ctx context.Context, userID, transferID string) (Claim, error)
	// Points returns userID's points balance in currency and the points owed to it.
	Points(ctx context.Context, userID, currency string) (points, owed int64, err error)
	// Earn writes an earning once per transfer (an earned claim is not an error), failing
	// with retry.ErrConflict when the day's count, the claim or the owed points moved.
	Earn(ctx context.Context, e Earning) error
	// Clawback writes a clawback once per refund (a refund already taken back is not an
	// error), failing with retry.ErrConflict when the claim or the balance moved.
	Clawback(ctx context.Context, c Clawback) error
	History(ctx context.Context, userID string, limit int, cursor string) ([]Entry, string, []Balance, error)
	Wallet(ctx context.Context, id string) (ledger.Wallet, error)
	// Redeem fails with ErrInsufficientPoints, retry.ErrConflict or idempotency.ErrInProgress.
	Redeem(ctx context.Context, r Redemption) error
}

// Service handles events and serves the rewards API.
type Service struct {
	Store                Store
	Idem                 idempotency.Store
	PointsPerTransferMax int64
	PointsPerDayMax      int64
	Now                  func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Handle earns the payer's points for a completed transfer (immediate or captured), in
// the transfer's currency, within the payer's daily cap for that currency: the day is the
// event's, so a redelivered event counts against the same day and earns nothing twice.
// A completed refund earns nothing: it takes back the points its refunded transfer
// earned on the refunded part (see clawback).
func (s *Service) Handle(ctx context.Context, e event.Event) error {
	if e.Type != event.TransferCompleted {
		return nil
	}
	p := e.Payload
	if p.TransferID == "" || p.SourceOwnerID == "" || p.DestinationOwnerID == "" {
		return fmt.Errorf("event %s: transfer.completed without transfer, payer or payee", e.ID)
	}
	cur, err := money.ParseCurrency(p.Currency)
	if err != nil {
		return fmt.Errorf("event %s: currency %q: %w", e.ID, p.Currency, err)
	}
	if p.RefundOf != "" {
		return s.clawback(ctx, e, cur)
	}
	points := PointsFor(p.AmountMinor, cur, s.PointsPerTransferMax)
	day := e.Time.UTC().Format(time.DateOnly)
	return retry.Conflicts(ctx, func(int) error {
		claim, err := s.Store.Claim(ctx, p.SourceOwnerID, p.TransferID)
		if err != nil || claim.Earned {
			return err // earned before: nothing to do
		}
		st, err := s.Store.Standing(ctx, p.SourceOwnerID, cur.Code, day)
		if err != nil {
			return err
		}
		grant := max(0, min(points, s.PointsPerDayMax-st.EarnedOnDay))
		// Refunds that came first take their share of the grant at once.
		clawed := shareOf(grant, claim.RefundedMinor, p.AmountMinor)
		repaid := min(grant-clawed, st.Owed)
		return s.Store.Earn(ctx, Earning{UserID: p.SourceOwnerID, Day: day, Seen: st, GrantPoints: grant,
			AmountMinor: p.AmountMinor, Claim: claim, ClawedPoints: clawed, RepaidPoints: repaid,
			Entry: Entry{ID: "earn-" + p.TransferID, Points: grant - clawed - repaid, Currency: cur.Code, Kind: KindEarn,
				TransferID: p.TransferID, CreatedAt: e.Time}})
	})
}

// Page is the rewards answer.
type Page struct {
	Balances   []Balance `json:"balances"`
	Items      []Entry   `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

// Get returns the caller's points balance and history, newest first.
func (s *Service) Get(ctx context.Context, userID string, limit int, cursor string) (Page, error) {
	if err := op.CheckPageSize(limit, PageSizeMax); err != nil {
		return Page{}, err
	}
	items, next, balances, err := s.Store.History(ctx, userID, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	p := Page{Balances: balances, Items: items}
	if p.Items == nil {
		p.Items = []Entry{}
	}
	if p.Balances == nil {
		p.Balances = []Balance{}
	}
	p.NextCursor = op.NextCursor(next)
	return p, nil
}

// RedeemInput is the body of POST /v1/rewards/redeem.
type RedeemInput struct {
	Points   int64  `json:"points"`
	WalletID string `json:"wallet_id"`
}

// RedeemView answers a redemption. Like a credit's answer it carries no balance: the
// money is added without reading the wallet back (see wallet.CreditView).
type RedeemView struct {
	ID        string    `json:"id"`
	Points    int64     `json:"points"`
	WalletID  string    `json:"wallet_id"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	CreatedAt time.Time `json:"created_at"`
}

// Redeem turns points into money in one of the caller's wallets, once per key.
func (s *Service) Redeem(ctx context.Context, c op.Caller, key string, in RedeemInput) (op.Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return op.Result{}, err
	}
	hash, err := idempotency.Hash("redeem", "", in)
	if err != nil {
		return op.Result{}, err
	}
	// The key comes first (as for credits and transfers): a completed key replays
	// before any other check.
	return op.Guarded(ctx, s.Idem, s.now(), idempotency.NewClaim(c.UserID, key, hash), func(claim idempotency.Claim) (op.Result, error) {
		if in.Points <= 0 {
			return op.Result{}, ErrInvalidPoints
		}
		w, err := s.Store.Wallet(ctx, in.WalletID)
		if err != nil || w.OwnerID != c.UserID {
			if err == nil || len(in.WalletID) > 64 {
				err = problem.ErrNotFound
			}
			return op.Result{}, err
		}
		postingID := "redeem-" + claim.Token
		var res op.Result
		err = retry.Conflicts(ctx, func(int) error {
			w, err := s.Store.Wallet(ctx, in.WalletID)
			if err != nil {
				return err
			}
			now := s.now()
			cur, err := money.ParseCurrency(w.Currency)
			if err != nil {
				return err
			}
			amount, err := MinorFor(in.Points, cur)
			if err != nil {
				return err
			}
			d, p, err := ledger.Receive(w, ledger.MoveInput{PostingID: postingID, AmountMinor: amount,
				Counter: ledger.ExternalAccount(ledger.PurposeRewards, w.Currency), Kind: ledger.KindReward,
				Description: fmt.Sprintf("%d reward points", in.Points), Now: now})
			if err != nil {
				return err
			}
			body, err := json.Marshal(RedeemView{ID: postingID, Points: in.Points, WalletID: w.ID, Amount: amount, Currency: w.Currency,
				CreatedAt: now})
			if err != nil {
				return err
			}
			res = op.Result{Outcome: op.Created, Body: body}
			return s.Store.Redeem(ctx, Redemption{UserID: c.UserID,
				Entry:      Entry{ID: postingID, Points: -in.Points, Currency: w.Currency, Kind: KindRedeem, WalletID: w.ID, CreatedAt: now},
				Wallet:     d,
				Posting:    p,
				Completion: &idempotency.Completion{Claim: claim, Response: idempotency.Response{Outcome: string(res.Outcome), Body: body}},
			})
		})
		return res, err
	})
}
