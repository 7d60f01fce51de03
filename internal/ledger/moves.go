package ledger

import (
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// Hold reserves an amount on a wallet: available drops, balance stays.
func Hold(w Wallet, amountMinor int64, now time.Time) (Delta, error) {
	if err := money.Positive(amountMinor); err != nil {
		return Delta{}, err
	}
	d := Delta{WalletID: w.ID, HeldMinor: amountMinor, RequireActive: true, Now: now}
	_, err := d.Apply(w)
	return d, err
}

// Release gives back a held amount. It works on a frozen wallet too, so a hold can
// always be unwound.
func Release(w Wallet, amountMinor int64, now time.Time) (Delta, error) {
	if err := money.Positive(amountMinor); err != nil {
		return Delta{}, err
	}
	d := Delta{WalletID: w.ID, HeldMinor: -amountMinor, Now: now}
	_, err := d.Apply(w)
	return d, err
}

// MoveInput describes a posting between one wallet and a non-wallet account.
type MoveInput struct {
	PostingID   string
	AmountMinor int64 // positive: into the wallet; negative: out of it
	Counter     string
	Kind        string
	Description string
	Now         time.Time
}

// Receive credits a wallet from an internal or external account; the wallet must be active.
func Receive(w Wallet, in MoveInput) (Delta, Posting, error) {
	if err := money.Positive(in.AmountMinor); err != nil {
		return Delta{}, Posting{}, err
	}
	return withPosting(w, Delta{WalletID: w.ID, BalanceMinor: in.AmountMinor, RequireActive: true, Now: in.Now}, in)
}

// PostInput describes the posting of a held amount, or of an amount not held, to another
// wallet.
type PostInput struct {
	PostingID    string
	CaptureMinor int64 // what moves: at most the hold
	HoldMinor    int64 // the whole hold, released from the source; 0: nothing is held
	Kind         string
	Description  string
	Now          time.Time
}

// Post settles a hold in one posting, as two-phase ledgers do (TigerBeetle's post of a
// pending transfer): the captured part leaves the source's balance and enters the
// destination's, and the whole hold leaves the source's held (the uncaptured rest
// becomes available again). Both wallets must be ACTIVE when the posting is written:
// a freeze of either side, however late, stops the money (a release still works on a
// frozen wallet, so the hold can always be given back). Nothing passes through another
// account. With HoldMinor 0 nothing was held: the amount leaves the source's available
// balance, so reserving and posting are one transaction (an immediate transfer).
func Post(src, dst Wallet, in PostInput) ([]Delta, Posting, error) {
	switch {
	case in.CaptureMinor <= 0 || in.HoldMinor < 0 || (in.HoldMinor > 0 && in.CaptureMinor > in.HoldMinor):
		return nil, Posting{}, fmt.Errorf("post %d of hold %d on wallet %s", in.CaptureMinor, in.HoldMinor, src.ID)
	case src.ID == dst.ID:
		return nil, Posting{}, ErrSameWallet
	case src.Currency != dst.Currency:
		return nil, Posting{}, ErrCurrencyMismatch
	}
	ds := []Delta{
		{WalletID: src.ID, BalanceMinor: -in.CaptureMinor, HeldMinor: -in.HoldMinor, RequireActive: true, Now: in.Now},
		{WalletID: dst.ID, BalanceMinor: in.CaptureMinor, RequireActive: true, Now: in.Now,
			Shard: ReceiveShardOf(in.PostingID, dst.ReceiveShards)},
	}
	// The destination's rule first: a frozen destination is the refusal a client can
	// act on; a missing hold is a second settlement or a bug.
	if _, err := ds[1].Apply(dst); err != nil {
		return nil, Posting{}, err
	}
	if _, err := ds[0].Apply(src); err != nil {
		return nil, Posting{}, err
	}
	p := Posting{ID: in.PostingID, Currency: src.Currency, Kind: in.Kind, CreatedAt: in.Now, Entries: []Entry{
		{ID: in.PostingID + ":0", PostingID: in.PostingID, Account: src.ID, Owner: src.OwnerID, Currency: src.Currency,
			AmountMinor: -in.CaptureMinor, Kind: in.Kind, Description: in.Description, CreatedAt: in.Now},
		{ID: in.PostingID + ":1", PostingID: in.PostingID, Account: dst.ID, Owner: dst.OwnerID, Currency: dst.Currency,
			AmountMinor: in.CaptureMinor, Kind: in.Kind, Description: in.Description, CreatedAt: in.Now},
	}}
	return ds, p, p.Validate()
}

// withPosting checks d on the wallet as read and builds the balanced posting of
// in.AmountMinor between the wallet and in.Counter.
func withPosting(w Wallet, d Delta, in MoveInput) (Delta, Posting, error) {
	if _, err := d.Apply(w); err != nil {
		return Delta{}, Posting{}, err
	}
	p := Posting{ID: in.PostingID, Currency: w.Currency, Kind: in.Kind, CreatedAt: in.Now, Entries: []Entry{
		{ID: in.PostingID + ":0", PostingID: in.PostingID, Account: w.ID, Owner: w.OwnerID, Currency: w.Currency, AmountMinor: in.AmountMinor,
			Kind: in.Kind, Description: in.Description, CreatedAt: in.Now},
		{ID: in.PostingID + ":1", PostingID: in.PostingID, Account: in.Counter, Currency: w.Currency, AmountMinor: -in.AmountMinor,
			Kind: in.Kind, Description: in.Description, CreatedAt: in.Now},
	}}
	return d, p, p.Validate()
}

// ApplyAll applies deltas to the wallets in ws (keyed by Delta.Target: a receive
// shard is a Wallet under its ShardKey), all or nothing, and counts the posting's
// entries per wallet: what a store's transaction does, for stores kept in
// memory (tests). ws changes only when every delta is accepted.
func ApplyAll(ws map[string]Wallet, ds []Delta, p *Posting) error {
	next := make(map[string]Wallet, len(ds))
	for _, d := range ds {
		w, ok := next[d.Target()]
		if !ok {
			if w, ok = ws[d.Target()]; !ok {
				return problem.ErrNotFound
			}
		}
		applied, err := d.Apply(w)
		if err != nil {
			return err
		}
		next[d.Target()] = applied
	}
	if p != nil {
		if err := p.Validate(); err != nil {
			return err
		}
		for key, w := range next { // a shard's key is not its wallet's id
			w.EntryCount += p.EntriesOn(w.ID)
			next[key] = w
		}
	}
	for id, w := range next {
		ws[id] = w
	}
	return nil
}
