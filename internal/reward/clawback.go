package reward

import (
	"context"
	"fmt"
	"math/big"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// Points follow the money: a refund takes back the points its refunded transfer earned
// on the refunded part, so that paying and refunding earns nothing. Each transfer's
// claim records what it earned (points, of amount) and what its refunds gave back
// (refunded) and took (clawed); the points taken back so far are always the earned
// points' share of the refunded part, rounded up, so a full refund takes them all,
// however it is split. What the balance cannot cover (points spent since) is owed and
// paid from later earnings first. A refund whose event comes before its transfer's earn
// is recorded on the claim, and the earn takes that share at once.

// KindClawback is a history entry of points a refund took back.
const KindClawback = "clawback"

// Claim is what a transfer's earn and its refunds recorded, for its payer.
type Claim struct {
	Earned        bool  // the transfer's earn was written
	Points        int64 // what it earned (before refunds took their share)
	AmountMinor   int64 // what it moved
	RefundedMinor int64 // its refunds' total so far
	ClawedPoints  int64 // the points its refunds took back so far
}

// Earning is one transfer's earn, written once: the claim (conditional on its refunded
// total as read), the day's count (conditional on Seen.EarnedOnDay) raised by GrantPoints,
// the balance raised by Entry.Points, and the owed points lowered by RepaidPoints.
type Earning struct {
	UserID       string
	Entry        Entry // Points: the grant less what refunds took and what repaid owed points
	Day          string
	Seen         Standing // what it was decided on (Day's count, the owed points, the balance's day), read before it
	GrantPoints  int64
	AmountMinor  int64
	Claim        Claim
	ClawedPoints int64
	RepaidPoints int64
}

// Clawback is one refund's take-back, written once per refund: the claim moves from
// Claim (conditional on its refunded total) to RefundedMinor and ClawedPoints, the
// balance loses TakenPoints (which it must hold), and OwedPoints are recorded as owed
// (only while the balance holds no more than TakenPoints: the shortfall was decided on it).
type Clawback struct {
	UserID        string
	RefundID      string
	TransferID    string // the refunded transfer
	Currency      string
	Entry         Entry // Points: −TakenPoints; written when anything was taken or owed
	Claim         Claim
	RefundedMinor int64
	ClawedPoints  int64
	TakenPoints   int64
	OwedPoints    int64
}

// shareOf is points' share of part in whole, rounded up (all of it when part ≥ whole;
// none when whole is unknown), computed without overflow.
func shareOf(points, part, whole int64) int64 {
	if points <= 0 || part <= 0 || whole <= 0 {
		return 0
	}
	if part >= whole {
		return points
	}
	n := new(big.Int).Mul(big.NewInt(points), big.NewInt(part))
	q, r := new(big.Int).QuoRem(n, big.NewInt(whole), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// clawback takes back from a refund's payee-of-points (the refunded transfer's payer, the
// refund's destination) the points its transfer earned on the refunded part.
func (s *Service) clawback(ctx context.Context, e event.Event, cur money.Currency) error {
	p := e.Payload
	if p.AmountMinor <= 0 {
		return fmt.Errorf("event %s: a refund of %d", e.ID, p.AmountMinor)
	}
	payer := p.DestinationOwnerID
	return retry.Conflicts(ctx, func(int) error {
		claim, err := s.Store.Claim(ctx, payer, p.RefundOf)
		if err != nil {
			return err
		}
		c := Clawback{UserID: payer, RefundID: p.TransferID, TransferID: p.RefundOf, Currency: cur.Code, Claim: claim,
			RefundedMinor: claim.RefundedMinor + p.AmountMinor, ClawedPoints: claim.ClawedPoints}
		if claim.Earned {
			c.ClawedPoints = max(claim.ClawedPoints, shareOf(claim.Points, c.RefundedMinor, claim.AmountMinor))
			points, _, err := s.Store.Points(ctx, payer, cur.Code)
			if err != nil {
				return err
			}
			owe := c.ClawedPoints - claim.ClawedPoints
			c.TakenPoints = max(0, min(owe, points))
			c.OwedPoints = owe - c.TakenPoints
		}
		c.Entry = Entry{ID: "clawback-" + p.TransferID, Points: -c.TakenPoints, Currency: cur.Code, Kind: KindClawback,
			TransferID: p.TransferID, CreatedAt: e.Time}
		return s.Store.Clawback(ctx, c)
	})
}
