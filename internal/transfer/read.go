package transfer

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// visible reads a transfer the caller may see: the owner of either wallet, or an admin.
func (s *Service) visible(ctx context.Context, c op.Caller, id string) (Transfer, error) {
	if !op.IsID(id) {
		return Transfer{}, problem.ErrNotFound
	}
	t, err := s.Store.Transfer(ctx, id)
	if err != nil {
		return Transfer{}, err
	}
	if t.SourceOwnerID != c.UserID && t.DestinationOwnerID != c.UserID && !c.IsAdmin() {
		return Transfer{}, problem.ErrNotFound
	}
	return t, nil
}

// Get returns a transfer with its saga steps.
func (s *Service) Get(ctx context.Context, c op.Caller, id string) (View, error) {
	t, err := s.visible(ctx, c, id)
	if err != nil {
		return View{}, err
	}
	return DetailedViewOf(t), nil
}

// Page is a page of transfers.
type Page struct {
	Items      []View  `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// List returns the transfers the caller takes part in, newest first, optionally only
// those of one of its wallets: one query per wallet (a caller has at most
// wallet.WalletsPerOwnerMax) and one batch read of the page's transfers.
func (s *Service) List(ctx context.Context, c op.Caller, walletID string, limit int, cursor string) (Page, error) {
	if err := op.CheckPageSize(limit, ListPageSizeMax); err != nil {
		return Page{}, err
	}
	walletIDs := []string{walletID}
	if walletID != "" {
		w, err := s.wallet(ctx, walletID)
		if err != nil || (w.OwnerID != c.UserID && !c.IsAdmin()) {
			return Page{}, orNotFound(err)
		}
	} else {
		ids, err := s.Store.WalletIDsOf(ctx, c.UserID)
		if err != nil {
			return Page{}, err
		}
		walletIDs = ids
	}
	p := Page{Items: []View{}}
	if len(walletIDs) == 0 {
		return p, nil
	}
	ts, next, err := s.Store.TransfersOfWallets(ctx, walletIDs, limit, cursor)
	if err != nil {
		return Page{}, err
	}
	for _, t := range ts {
		p.Items = append(p.Items, ViewOf(t))
	}
	p.NextCursor = op.NextCursor(next)
	return p, nil
}
