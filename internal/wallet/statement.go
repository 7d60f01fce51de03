package wallet

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// EntryView is a statement line.
type EntryView struct {
	ID           string    `json:"id"`
	PostingID    string    `json:"posting_id"`
	WalletID     string    `json:"wallet_id"`
	Amount       int64     `json:"amount"`
	BalanceAfter int64     `json:"balance_after"`
	Currency     string    `json:"currency"`
	Kind         string    `json:"kind"`
	Description  string    `json:"description,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Page is a page of entries.
type Page struct {
	Items      []EntryView `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// Entries returns a statement page, newest first, with running balances. Entries
// store no balance: the first page reads the wallet before and after its entries and
// keeps the read only when no posting landed in between (the wallet's entry count did
// not move), so the newest entry's balance_after is the wallet's balance and each
// older one is the next newer one's minus its amount. The cursor carries the running
// balance to the next page; a posting that lands meanwhile is newer than every entry
// already shown, so it changes nothing below the cursor.
func (s *Service) Entries(ctx context.Context, c op.Caller, walletID string, limit int, cursor string) (Page, error) {
	if err := op.CheckPageSize(limit, EntriesPageSizeMax); err != nil {
		return Page{}, err
	}
	w, err := s.visible(ctx, c, walletID)
	if err != nil {
		return Page{}, err
	}
	var entries []ledger.Entry
	var next string
	var balance int64 // the balance after the newest entry of the page
	if cursor != "" {
		pos, bal, err := decodeStatementCursor(cursor, w.ID)
		if err != nil {
			return Page{}, err
		}
		if entries, next, err = s.store.Entries(ctx, w, limit, pos); err != nil {
			return Page{}, err
		}
		balance = bal
	} else {
		if entries, next, balance, err = s.firstPage(ctx, w, limit); err != nil {
			return Page{}, err
		}
	}
	p := Page{Items: make([]EntryView, 0, len(entries))}
	for _, e := range entries {
		p.Items = append(p.Items, EntryView{ID: e.ID, PostingID: e.PostingID, WalletID: e.Account, Amount: e.AmountMinor,
			BalanceAfter: balance, Currency: e.Currency, Kind: e.Kind, Description: e.Description, CreatedAt: e.CreatedAt})
		balance -= e.AmountMinor
	}
	if next != "" {
		c := encodeStatementCursor(w.ID, next, balance)
		p.NextCursor = &c
	}
	return p, nil
}

// firstPage reads the newest entries and the wallet's balance at one moment: see Entries.
func (s *Service) firstPage(ctx context.Context, before ledger.Wallet, limit int) ([]ledger.Entry, string, int64, error) {
	for read := 0; read < statementReadsMax; read++ {
		entries, next, err := s.store.Entries(ctx, before, limit, "")
		if err != nil {
			return nil, "", 0, err
		}
		after, err := s.store.Wallet(ctx, before.ID)
		if err != nil {
			return nil, "", 0, err
		}
		if after.EntryCount == before.EntryCount && after.BalanceMinor == before.BalanceMinor {
			return entries, next, after.BalanceMinor, nil
		}
		before = after // a posting landed: this read is the next try's "before"
	}
	return nil, "", 0, retry.ErrContention
}

// A statement cursor names the wallet, the store's position and the running balance
// there: "s2|<wallet id>|<position>|<balance>", base64url.
const statementCursorPrefix = "s2"

func encodeStatementCursor(walletID, pos string, balance int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join([]string{statementCursorPrefix, walletID, pos, strconv.FormatInt(balance, 10)}, "|")))
}

func decodeStatementCursor(c, walletID string) (string, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", 0, op.ErrInvalidCursor
	}
	f := strings.Split(string(b), "|")
	if len(f) != 4 || f[0] != statementCursorPrefix || f[1] != walletID || f[2] == "" {
		return "", 0, op.ErrInvalidCursor
	}
	balance, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return "", 0, op.ErrInvalidCursor
	}
	return f[2], balance, nil
}
