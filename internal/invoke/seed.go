package invoke

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The seed's sample data: the amounts it moves, in minor units of seedCurrency.
const (
	seedCurrency      = "USD"
	seedCreditMinor   = 100_000 // $1,000.00 on the user's wallet
	seedTransferMinor = 50_000  // $500.00 to the other user: 500 reward points
	seedHoldMinor     = 2_000
	seedHoldCount     = 2                              // one to capture, one to void
	seedHoldSeconds   = 604_800                        // the longest a hold may stay open: a week
	seedPassword      = "correct horse battery staple" // every user the seed and the events make
	seedPointsMin     = 100                            // what the RedeemRewards event redeems
	seedIDBytes       = 6
)

// Seed is the sample data the events act on, made through the API on one stack (the
// API id names it) and remembered in a file, so every later invoke reuses it.
type Seed struct {
	APIID          string    `json:"api_id"`
	Key            string    `json:"key"` // names this seed's addresses and fixed idempotency keys
	Email          string    `json:"email"`
	UserID         string    `json:"user_id"`
	WalletID       string    `json:"wallet_id"`
	CreditID       string    `json:"credit_id"` // the credit's posting id
	CreditEntryID  string    `json:"credit_entry_id"`
	CreditTime     time.Time `json:"credit_time"`
	OtherEmail     string    `json:"other_email"`
	OtherUserID    string    `json:"other_user_id"`
	OtherWalletID  string    `json:"other_wallet_id"`
	TransferID     string    `json:"transfer_id"`   // COMPLETED, from the user to the other
	TransferTime   time.Time `json:"transfer_time"` // when it completed
	CaptureHoldID  string    `json:"capture_hold_id"`
	VoidHoldID     string    `json:"void_hold_id"`
	NotificationID string    `json:"notification_id"`
	AdminID        string    `json:"admin_id"`
}

// Seeder makes sure a stack has the seed, through the API.
type Seeder struct {
	API   *API
	APIID string
	File  string // where the seed is remembered, e.g. .local/invoke-seed.json
	// The deployment's admin, which the deployment made (scripts/admin-local.py: signed
	// up, verified, granted with cmd/admin); the seed only logs in as it.
	AdminEmail, AdminPassword string
}

// Ensure returns the stack's seed: the remembered one when it was made on this API and
// its items are all still there, else a new one (remembered in place of the old).
func (s *Seeder) Ensure(ctx context.Context) (Seed, error) {
	old, err := s.load()
	if err != nil {
		return Seed{}, err
	}
	if old.APIID == s.APIID {
		ok, err := s.intact(ctx, old)
		if err != nil {
			return Seed{}, err
		}
		if ok {
			return old, nil
		}
	}
	fresh, err := s.make(ctx)
	if err != nil {
		return Seed{}, fmt.Errorf("seed the stack: %w", err)
	}
	return fresh, s.save(fresh)
}

func (s *Seeder) load() (Seed, error) {
	var seed Seed
	b, err := os.ReadFile(s.File)
	if errors.Is(err, fs.ErrNotExist) {
		return seed, nil
	}
	if err != nil {
		return seed, err
	}
	if json.Unmarshal(b, &seed) != nil {
		return Seed{}, nil // unreadable: seed again
	}
	return seed, nil
}

func (s *Seeder) save(seed Seed) error {
	b, err := json.MarshalIndent(seed, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.File), 0o750); err != nil {
		return err
	}
	return os.WriteFile(s.File, append(b, '\n'), 0o600)
}

// intact reports whether the seed's users still log in and its items are still found.
func (s *Seeder) intact(ctx context.Context, seed Seed) (bool, error) {
	if seed.Email == "" || seed.OtherEmail == "" {
		return false, nil
	}
	r, err := s.API.Client.Settle(ctx, "POST", "/v1/auth/login", "", "", map[string]string{"email": seed.Email, "password": seedPassword})
	if err != nil {
		return false, err
	}
	if r.Status != 200 {
		return false, nil
	}
	var sess Session
	if err := r.Decode(&sess); err != nil {
		return false, err
	}
	// What each item may have become by the events' own doing (the capture and the void
	// events settle their holds); a hold the sweeper released at its expiry is gone.
	for path, fine := range map[string][]string{
		"/v1/wallets/" + seed.WalletID:        {"ACTIVE"},
		"/v1/transfers/" + seed.TransferID:    {"COMPLETED"},
		"/v1/transfers/" + seed.CaptureHoldID: {"HELD", "CAPTURING", "COMPLETED"},
		"/v1/transfers/" + seed.VoidHoldID:    {"HELD", "RELEASED"},
	} {
		found, body, err := s.API.Found(ctx, path, sess.AccessToken)
		if err != nil || !found {
			return false, err
		}
		if !hasStatus(body, fine...) {
			return false, nil
		}
		if strings.Contains(string(body), `"failure_reason":"expired"`) {
			return false, nil
		}
	}
	return true, nil
}

func hasStatus(body []byte, statuses ...string) bool {
	var v struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(body, &v) == nil && slices.Contains(statuses, v.Status)
}

// newKey is a short random name for a seed and what it makes.
func newKey() (string, error) {
	b := make([]byte, seedIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// make creates the seed: an admin, a user with a funded wallet, a
// second user with a wallet, a completed transfer between them, two open holds, and
// the notification and reward points the transfer brings.
func (s *Seeder) make(ctx context.Context) (Seed, error) {
	key, err := newKey()
	if err != nil {
		return Seed{}, err
	}
	seed := Seed{APIID: s.APIID, Key: key,
		Email: "invoke-" + key + "@example.com", OtherEmail: "invoke-" + key + "-payee@example.com"}
	admin, err := s.API.Login(ctx, s.AdminEmail, s.AdminPassword)
	if err != nil {
		return Seed{}, fmt.Errorf("admin (scripts/deploy-local.sh makes it): %w", err)
	}
	adminID, err := s.API.UserID(ctx, admin.AccessToken)
	if err != nil {
		return Seed{}, fmt.Errorf("admin: %w", err)
	}
	seed.AdminID = adminID
	user, userID, err := s.API.VerifiedUser(ctx, seed.Email, seedPassword, "Ivy")
	if err != nil {
		return Seed{}, err
	}
	other, otherID, err := s.API.VerifiedUser(ctx, seed.OtherEmail, seedPassword, "Oscar")
	if err != nil {
		return Seed{}, err
	}
	seed.UserID, seed.OtherUserID = userID, otherID
	if err := s.wallets(ctx, &seed, user.AccessToken, other.AccessToken); err != nil {
		return Seed{}, err
	}
	if err := s.transfers(ctx, &seed, user.AccessToken); err != nil {
		return Seed{}, err
	}
	return seed, s.aftermath(ctx, &seed, user.AccessToken)
}

func (s *Seeder) wallets(ctx context.Context, seed *Seed, token, otherToken string) error {
	w, err := s.API.Create(ctx, "wallet", "/v1/wallets", token, "", map[string]string{"currency": seedCurrency})
	if err != nil {
		return err
	}
	seed.WalletID = w.ID
	if w, err = s.API.Create(ctx, "other wallet", "/v1/wallets", otherToken, "", map[string]string{"currency": seedCurrency}); err != nil {
		return err
	}
	seed.OtherWalletID = w.ID
	c, err := s.API.Create(ctx, "credit", "/v1/wallets/"+seed.WalletID+"/credits", token, seed.Key+"-seed-credit",
		map[string]any{"amount": seedCreditMinor, "description": "sample funds"})
	if err != nil {
		return err
	}
	seed.CreditID = c.ID
	return s.API.Await(ctx, "the credit's entry", "/v1/wallets/"+seed.WalletID+"/entries", token, func(b []byte) bool {
		var page struct {
			Items []struct {
				ID        string    `json:"id"`
				PostingID string    `json:"posting_id"`
				CreatedAt time.Time `json:"created_at"`
			} `json:"items"`
		}
		if json.Unmarshal(b, &page) != nil {
			return false
		}
		for _, e := range page.Items {
			if e.PostingID == seed.CreditID {
				seed.CreditEntryID, seed.CreditTime = e.ID, e.CreatedAt
				return true
			}
		}
		return false
	})
}

func (s *Seeder) transfers(ctx context.Context, seed *Seed, token string) error {
	body := func(amount int64, mode string) map[string]any {
		b := map[string]any{"source_wallet_id": seed.WalletID, "destination_wallet_id": seed.OtherWalletID,
			"amount": amount, "currency": seedCurrency, "description": "sample " + mode, "mode": mode}
		if mode == "hold" {
			b["hold_expires_in_seconds"] = seedHoldSeconds
		}
		return b
	}
	t, err := s.API.Create(ctx, "transfer", "/v1/transfers", token, seed.Key+"-seed-transfer", body(seedTransferMinor, "immediate"))
	if err != nil {
		return err
	}
	seed.TransferID = t.ID
	var holds []string
	for i := range seedHoldCount {
		h, err := s.API.Create(ctx, "hold", "/v1/transfers", token, fmt.Sprintf("%s-seed-hold-%d", seed.Key, i), body(seedHoldMinor, "hold"))
		if err != nil {
			return err
		}
		holds = append(holds, h.ID)
	}
	seed.CaptureHoldID, seed.VoidHoldID = holds[0], holds[1]
	for id, want := range map[string]string{seed.TransferID: "COMPLETED", holds[0]: "HELD", holds[1]: "HELD"} {
		err := s.API.Await(ctx, "transfer "+id+" "+want, "/v1/transfers/"+id, token, func(b []byte) bool {
			var t struct {
				UpdatedAt time.Time `json:"updated_at"`
			}
			if !hasStatus(b, want) || json.Unmarshal(b, &t) != nil {
				return false
			}
			if id == seed.TransferID {
				seed.TransferTime = t.UpdatedAt
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// aftermath waits for what the transfer brings the user: a notification, and the
// reward points the RedeemRewards event spends.
func (s *Seeder) aftermath(ctx context.Context, seed *Seed, token string) error {
	err := s.API.Await(ctx, "a notification", "/v1/notifications?limit=1", token, func(b []byte) bool {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if json.Unmarshal(b, &page) != nil || len(page.Items) == 0 {
			return false
		}
		seed.NotificationID = page.Items[0].ID
		return true
	})
	if err != nil {
		return err
	}
	return s.API.Await(ctx, "reward points", "/v1/rewards", token, func(b []byte) bool {
		var r struct {
			Balances []struct {
				Currency string `json:"currency"`
				Points   int64  `json:"points"`
			} `json:"balances"`
		}
		if json.Unmarshal(b, &r) != nil {
			return false
		}
		for _, bal := range r.Balances {
			if bal.Currency == seedCurrency && bal.Points >= seedPointsMin {
				return true
			}
		}
		return false
	})
}
