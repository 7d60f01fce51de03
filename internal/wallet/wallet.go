// Package wallet is the wallet use cases: open wallets, read them, change their status,
// top them up and read their statements. It authorizes the caller, applies the ledger
// rules, guards writes with idempotency and commits through a Store.
package wallet

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/ledger"
	"github.com/serverless-wallet/wallet/internal/money"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// Limits of this package.
const (
	WalletsPerOwnerMax     = 10
	EntriesPageSizeMax     = 200
	EntriesPageSizeDefault = 50
	DescriptionRunesMax    = 140
	// statementReadsMax bounds the tries to read a statement's first page and its
	// wallet at one moment (see Entries) while postings keep arriving.
	statementReadsMax = 8
)

// Errors of this package.
var (
	ErrWalletExists  = problem.New(problem.KindConflict, "wallet_exists", "you already have a wallet in this currency")
	ErrWalletLimit   = problem.Unprocessable("wallet_limit_reached", fmt.Sprintf("a user can have at most %d wallets", WalletsPerOwnerMax))
	ErrInvalidCursor = problem.Invalid("invalid_cursor", "the cursor is not one this API returned")
	ErrInvalidLimit  = problem.Invalid("invalid_limit", fmt.Sprintf("limit must be an integer from 1 to %d", EntriesPageSizeMax))
	// ErrConflict means the state a write was decided on moved on; see retry.Conflicts.
	ErrConflict = retry.ErrConflict
)

// Caller is who acts.
type Caller struct {
	UserID  string
	IsAdmin bool
}

// Change is written atomically: money deltas on wallets (each applied by the store
// under its rules, see ledger.Delta), at most one posting, and the completion of the
// idempotency claim that guards it.
type Change struct {
	Deltas     []ledger.Delta
	Posting    *ledger.Posting
	Completion *idempotency.Completion
}

// Store persists wallets and postings.
type Store interface {
	CreateWallet(ctx context.Context, w ledger.Wallet) error
	Wallet(ctx context.Context, id string) (ledger.Wallet, error)
	WalletsOf(ctx context.Context, ownerID string) ([]ledger.Wallet, error)
	// Commit writes a Change or nothing; a refused delta answers with the rule it broke
	// (as ledger.Delta.Apply names it on the stored wallet).
	Commit(ctx context.Context, c Change) error
	// SetStatus writes after's status conditional on before's version (and, for a
	// close, on a zero balance and no holds); ErrConflict when the wallet moved on.
	SetStatus(ctx context.Context, before, after ledger.Wallet) error
	// Entries returns up to limit entries older than the position after ("" for the
	// newest), newest first, and the position to continue from ("" at the end).
	Entries(ctx context.Context, walletID string, limit int, after string) ([]ledger.Entry, string, error)
	Snapshot(ctx context.Context) (ledger.Snapshot, error)
}

// Service implements the wallet use cases.
type Service struct {
	store  Store
	idem   idempotency.Store
	limits ledger.CreditLimits
	now    func() time.Time
}

// NewService builds a Service.
func NewService(store Store, idem idempotency.Store, limits ledger.CreditLimits, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, idem: idem, limits: limits, now: now}
}

// View is a wallet as the API shows it.
type View struct {
	ID        string    `json:"id"`
	OwnerID   string    `json:"owner_id"`
	Currency  string    `json:"currency"`
	Balance   int64     `json:"balance"`
	Held      int64     `json:"held"`
	Available int64     `json:"available"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ViewOf renders a wallet.
func ViewOf(w ledger.Wallet) View {
	return View{ID: w.ID, OwnerID: w.OwnerID, Currency: w.Currency, Balance: w.BalanceMinor, Held: w.HeldMinor,
		Available: w.AvailableMinor(), Status: string(w.Status), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// CreateInput is the body of POST /v1/wallets.
type CreateInput struct {
	Currency string `json:"currency"`
}

// Create opens a wallet for the caller.
func (s *Service) Create(ctx context.Context, c Caller, in CreateInput) (View, error) {
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return View{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	w := ledger.Wallet{ID: uuid.NewString(), OwnerID: c.UserID, Currency: cur.Code, Status: ledger.StatusActive,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateWallet(ctx, w); err != nil {
		return View{}, err
	}
	return ViewOf(w), nil
}

// List returns the caller's wallets.
func (s *Service) List(ctx context.Context, c Caller) ([]View, error) {
	ws, err := s.store.WalletsOf(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(ws))
	for _, w := range ws {
		out = append(out, ViewOf(w))
	}
	return out, nil
}

// idPattern is the shape of every id the platform hands out (wallets, transfers): a
// lower-case UUID. Anything else is answered like an unknown id, before any read.
var idPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// IsID reports whether s has the shape of an id the platform hands out.
func IsID(s string) bool { return idPattern.MatchString(s) }

// visible reads a wallet the caller may see: its own, or any for an admin. Another
// user's wallet is reported as not found, so ids leak nothing.
func (s *Service) visible(ctx context.Context, c Caller, id string) (ledger.Wallet, error) {
	if !IsID(id) {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	w, err := s.store.Wallet(ctx, id)
	if err != nil {
		return ledger.Wallet{}, err
	}
	if w.OwnerID != c.UserID && !c.IsAdmin {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return w, nil
}

// owned reads a wallet only its owner may move money on: admins read and freeze
// wallets, they never credit another user's (an adjustment would be its own, audited
// route). Anyone else's wallet is not found.
func (s *Service) owned(ctx context.Context, c Caller, id string) (ledger.Wallet, error) {
	w, err := s.visible(ctx, c, id)
	if err == nil && w.OwnerID != c.UserID {
		return ledger.Wallet{}, problem.ErrNotFound
	}
	return w, err
}

// Get returns one wallet.
func (s *Service) Get(ctx context.Context, c Caller, id string) (View, error) {
	w, err := s.visible(ctx, c, id)
	if err != nil {
		return View{}, err
	}
	return ViewOf(w), nil
}

// PatchInput is the body of PATCH /v1/wallets/{id}.
type PatchInput struct {
	Status string `json:"status"`
}

// ChangeStatus freezes, unfreezes or closes a wallet.
func (s *Service) ChangeStatus(ctx context.Context, c Caller, id string, in PatchInput) (View, error) {
	var out ledger.Wallet
	err := retry.Conflicts(ctx, func(int) error {
		w, err := s.visible(ctx, c, id)
		if err != nil {
			return err
		}
		next, err := ledger.ChangeStatus(w, ledger.Status(in.Status), c.IsAdmin, w.OwnerID == c.UserID, s.now().UTC().Truncate(time.Millisecond))
		if err != nil || next.Version == w.Version {
			out = next
			return err
		}
		if err := s.store.SetStatus(ctx, w, next); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return ViewOf(out), nil
}

// CreditInput is the body of POST /v1/wallets/{id}/credits.
type CreditInput struct {
	Amount      money.Minor `json:"amount"`
	Description string      `json:"description,omitempty"`
}

// CreditView is the answer to a credit. It carries no balance: a credit adds to the
// wallet without reading it back, so the balance right after it is only known to a
// statement (GET /v1/wallets/{id}/entries), which computes running balances.
type CreditView struct {
	ID          string    `json:"id"`
	WalletID    string    `json:"wallet_id"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Result is a guarded write's answer: the status and JSON body, and whether it is a
// replay of an earlier answer.
type Result struct {
	StatusCode int
	Body       []byte
	Replayed   bool
}

// Credit tops one of the caller's wallets up from the funding account, once per
// idempotency key. The key comes first: a completed key replays its answer before any
// other check, so a retry of a credit that happened never hears that it did not
// (because the wallet was frozen since, say).
func (s *Service) Credit(ctx context.Context, c Caller, walletID, key string, in CreditInput) (Result, error) {
	if err := idempotency.ValidateKey(key); err != nil {
		return Result{}, err
	}
	hash, err := idempotency.Hash("credit", walletID, in)
	if err != nil {
		return Result{}, err
	}
	return Guarded(ctx, s.idem, s.now(), idempotency.NewClaim(c.UserID, key, hash), func(claim idempotency.Claim) (Result, error) {
		if err := money.Positive(int64(in.Amount)); err != nil {
			return Result{}, err
		}
		if err := ValidateDescription(in.Description); err != nil {
			return Result{}, err
		}
		first, err := s.owned(ctx, c, walletID)
		if err != nil {
			return Result{}, err
		}
		postingID := uuid.NewString()
		var res Result
		err = retry.Conflicts(ctx, func(attempt int) error {
			w := first // the first attempt uses the read that authorized the request
			if attempt > 1 {
				var err error
				if w, err = s.owned(ctx, c, walletID); err != nil {
					return err
				}
			}
			now := s.now().UTC().Truncate(time.Millisecond)
			d, p, err := ledger.Credit(w, ledger.CreditInput{PostingID: postingID, AmountMinor: int64(in.Amount), Description: in.Description, Now: now}, s.limits)
			if err != nil {
				return err
			}
			body, err := json.Marshal(CreditView{ID: postingID, WalletID: w.ID, Amount: int64(in.Amount), Currency: w.Currency,
				Description: in.Description, CreatedAt: now})
			if err != nil {
				return err
			}
			res = Result{StatusCode: http.StatusCreated, Body: body}
			return s.store.Commit(ctx, Change{
				Deltas:     []ledger.Delta{d},
				Posting:    &p,
				Completion: &idempotency.Completion{Claim: claim, Response: idempotency.Response{StatusCode: res.StatusCode, Body: body}},
			})
		})
		return res, err
	})
}

// Guarded runs fn under an idempotency claim: a replay answers with the stored
// response; a failure releases the claim so the same key may be retried.
func Guarded(ctx context.Context, idem idempotency.Store, now time.Time, claim idempotency.Claim, fn func(idempotency.Claim) (Result, error)) (Result, error) {
	replay, err := idem.Begin(ctx, claim, now)
	if err != nil {
		return Result{}, err
	}
	if replay != nil {
		return Result{StatusCode: replay.StatusCode, Body: replay.Body, Replayed: true}, nil
	}
	res, err := fn(claim)
	if err != nil {
		if !errors.Is(err, idempotency.ErrInProgress) { // a lost claim belongs to someone else now
			if rerr := idem.Release(context.WithoutCancel(ctx), claim); rerr != nil {
				return Result{}, errors.Join(err, rerr)
			}
		}
		return Result{}, err
	}
	return res, nil
}

// ValidateDescription checks a movement's description.
func ValidateDescription(d string) error {
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > DescriptionRunesMax {
		return problem.Invalid("invalid_description", fmt.Sprintf("description must be at most %d characters", DescriptionRunesMax))
	}
	for _, r := range d {
		if r < 0x20 || r == 0x7f {
			return problem.Invalid("invalid_description", "description must not contain control characters")
		}
	}
	return nil
}

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
func (s *Service) Entries(ctx context.Context, c Caller, walletID string, limit int, cursor string) (Page, error) {
	if limit < 1 || limit > EntriesPageSizeMax {
		return Page{}, ErrInvalidLimit
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
		if entries, next, err = s.store.Entries(ctx, w.ID, limit, pos); err != nil {
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
		entries, next, err := s.store.Entries(ctx, before.ID, limit, "")
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
		return "", 0, ErrInvalidCursor
	}
	f := strings.Split(string(b), "|")
	if len(f) != 4 || f[0] != statementCursorPrefix || f[1] != walletID || f[2] == "" {
		return "", 0, ErrInvalidCursor
	}
	balance, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return "", 0, ErrInvalidCursor
	}
	return f[2], balance, nil
}

// CheckLedger runs the invariant check over the whole ledger; admins only.
func (s *Service) CheckLedger(ctx context.Context, c Caller) (ledger.Report, error) {
	if !c.IsAdmin {
		return ledger.Report{}, problem.ErrForbidden
	}
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return ledger.Report{}, err
	}
	return ledger.Check(snap), nil
}
