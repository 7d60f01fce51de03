// Package reward gives the payer of a completed transfer reward points, exactly once
// per transfer, and redeems points into a wallet through the ledger: points and money
// move in one transaction or not at all.
package reward

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
	"github.com/serverless-wallet/wallet/internal/wallet"
)

// Rules and limits.
const (
	MinorUnitsPerPoint          = 100   // one point per full 100 minor units transferred
	DefaultPointsPerTransferMax = 1_000 // cap on the points one transfer earns
	MinorUnitsPerRedeemedPoint  = 1     // 100 points redeem as 100 minor units
	PageSizeMax                 = 100
	PageSizeDefault             = 25
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

// Entry is one line of a user's points history.
type Entry struct {
	ID         string    `json:"id"`
	Points     int64     `json:"points"`
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

// Store keeps points.
type Store interface {
	// Earn adds points once per entry id; an entry already there is not an error.
	Earn(ctx context.Context, userID string, e Entry) error
	History(ctx context.Context, userID string, limit int, cursor string) ([]Entry, string, int64, error)
	Wallet(ctx context.Context, id string) (ledger.Wallet, error)
	// Redeem fails with ErrInsufficientPoints, wallet.ErrConflict or idempotency.ErrInProgress.
	Redeem(ctx context.Context, r Redemption) error
}

// Service handles events and serves the rewards API.
type Service struct {
	Store                Store
	Idem                 idempotency.Store
	PointsPerTransferMax int64
	Now                  func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// PointsFor is what a transfer of amountMinor earns.
func PointsFor(amountMinor, capPoints int64) int64 {
	return min(amountMinor/MinorUnitsPerPoint, capPoints)
}

// Handle earns the payer's points for a completed transfer (immediate or captured).
func (s *Service) Handle(ctx context.Context, e event.Event) error {
	if e.Type != event.TransferCompleted {
		return nil
	}
	p := e.Payload
	if p.TransferID == "" || p.SourceOwnerID == "" {
		return fmt.Errorf("event %s: transfer.completed without transfer or payer", e.ID)
	}
	points := PointsFor(p.AmountMinor, s.PointsPerTransferMax)
	if points <= 0 {
		return nil
	}
	return s.Store.Earn(ctx, p.SourceOwnerID, Entry{ID: "earn-" + p.TransferID, Points: points, Kind: KindEarn,
		TransferID: p.TransferID, CreatedAt: e.Time})
}

// Page is the rewards answer.
type Page struct {
	PointsBalance int64   `json:"points_balance"`
	Items         []Entry `json:"items"`
	NextCursor    *string `json:"next_cursor"`
}

// Get returns the caller's points balance and history, newest first.
func (s *Service) Get(ctx context.Context, userID string, limit int, cursor string) (Page, error) {
	if limit < 1 || limit > PageSizeMax {
		return Page{}, problem.Invalid("invalid_limit", fmt.Sprintf("limit must be an integer from 1 to %d", PageSizeMax))
	}
	items, next, balance, err := s.Store.History(ctx, userID, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	p := Page{PointsBalance: balance, Items: items}
	if p.Items == nil {
		p.Items = []Entry{}
	}
	if next != "" {
		p.NextCursor = &next
	}
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
func (s *Service) Redeem(ctx context.Context, c wallet.Caller, key string, in RedeemInput) (wallet.Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return wallet.Result{}, err
	}
	hash, err := idempotency.Hash("redeem", "", in)
	if err != nil {
		return wallet.Result{}, err
	}
	// The key comes first (as for credits and transfers): a completed key replays
	// before any other check.
	return wallet.Guarded(ctx, s.Idem, s.now(), idempotency.NewClaim(c.UserID, key, hash), func(claim idempotency.Claim) (wallet.Result, error) {
		if in.Points <= 0 {
			return wallet.Result{}, ErrInvalidPoints
		}
		w, err := s.Store.Wallet(ctx, in.WalletID)
		if err != nil || w.OwnerID != c.UserID {
			if err == nil || len(in.WalletID) > 64 {
				err = problem.ErrNotFound
			}
			return wallet.Result{}, err
		}
		postingID := "redeem-" + claim.Token
		var res wallet.Result
		err = retry.Conflicts(ctx, func(int) error {
			w, err := s.Store.Wallet(ctx, in.WalletID)
			if err != nil {
				return err
			}
			now := s.now()
			amount := in.Points * MinorUnitsPerRedeemedPoint
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
			res = wallet.Result{StatusCode: http.StatusCreated, Body: body}
			return s.Store.Redeem(ctx, Redemption{UserID: c.UserID,
				Entry:      Entry{ID: postingID, Points: -in.Points, Kind: KindRedeem, WalletID: w.ID, CreatedAt: now},
				Wallet:     d,
				Posting:    p,
				Completion: &idempotency.Completion{Claim: claim, Response: idempotency.Response{StatusCode: res.StatusCode, Body: body}},
			})
		})
		return res, err
	})
}
