package costreport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/serverless-wallet/wallet/internal/mailbox"
)

// Client drives the deployed API.
type Client struct {
	BaseURL  string
	HTTP     *http.Client
	Requests int // API requests sent
	mu       sync.Mutex
}

// Call sends one request and decodes the JSON answer into out (when not nil).
func (c *Client) Call(ctx context.Context, method, path, token, key string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	c.mu.Lock()
	c.Requests++
	c.mu.Unlock()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, nil
}

// Party is a user with one USD wallet.
type Party struct {
	Token    string
	WalletID string
}

// NewParty signs a user up, verifies its email with the code the local mail catcher
// received, logs in and opens a funded USD wallet.
func (c *Client) NewParty(ctx context.Context, email string, fundMinor int64) (Party, error) {
	return c.NewPartyWith(ctx, email, fundMinor, 0)
}

// NewPartyWith is NewParty with the wallet opened with receiveShards receive shards.
func (c *Client) NewPartyWith(ctx context.Context, email string, fundMinor int64, receiveShards int) (Party, error) {
	const password = "cost report password"
	if _, err := c.Call(ctx, "POST", "/v1/auth/signup", "", "", map[string]string{"email": email, "password": password, "name": "cost"}, nil); err != nil {
		return Party{}, err
	}
	box, err := mailbox.FromEnv()
	if err != nil {
		return Party{}, err
	}
	code, err := box.LatestCode(ctx, email)
	if err != nil {
		return Party{}, err
	}
	if st, err := c.Call(ctx, "POST", "/v1/auth/verify", "", "", map[string]string{"email": email, "code": code}, nil); err != nil || st != http.StatusOK {
		return Party{}, fmt.Errorf("verify email: %d: %w", st, err)
	}
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if _, err := c.Call(ctx, "POST", "/v1/auth/login", "", "", map[string]string{"email": email, "password": password}, &s); err != nil {
		return Party{}, err
	}
	var w struct {
		ID string `json:"id"`
	}
	if st, err := c.Call(ctx, "POST", "/v1/wallets", s.AccessToken, "", map[string]any{"currency": "USD", "receive_shards": receiveShards}, &w); err != nil || st != http.StatusCreated {
		return Party{}, fmt.Errorf("create wallet: %d: %w", st, err)
	}
	for funded := int64(0); funded < fundMinor; funded += 1_000_000 {
		amount := min(1_000_000, fundMinor-funded)
		key := fmt.Sprintf("fund-%d-%d", time.Now().UnixNano(), funded)
		if st, err := c.Call(ctx, "POST", "/v1/wallets/"+w.ID+"/credits", s.AccessToken, key, map[string]int64{"amount": amount}, nil); err != nil || st != http.StatusCreated {
			return Party{}, fmt.Errorf("fund wallet: %d: %w", st, err)
		}
	}
	return Party{Token: s.AccessToken, WalletID: w.ID}, nil
}

// Transfers runs n immediate transfers of amountMinor from a to b, concurrency at a
// time, and returns how many completed.
func (c *Client) Transfers(ctx context.Context, a, b Party, n, concurrency int, amountMinor int64, runID string) (int, error) {
	return c.each(n, concurrency, func(i int) (bool, error) {
		var v struct {
			Status string `json:"status"`
		}
		body := map[string]any{"source_wallet_id": a.WalletID, "destination_wallet_id": b.WalletID, "amount": amountMinor, "currency": "USD"}
		_, err := c.Call(ctx, "POST", "/v1/transfers", a.Token, fmt.Sprintf("%s-%d", runID, i), body, &v)
		return v.Status == "COMPLETED", err
	})
}

// Holds runs n holds of amountMinor from a to b, each captured in full once held,
// concurrency at a time, and returns how many captures were taken (answered 200 or 202:
// the capture's saga completes them).
func (c *Client) Holds(ctx context.Context, a, b Party, n, concurrency int, amountMinor int64, runID string) (int, error) {
	return c.each(n, concurrency, func(i int) (bool, error) {
		var v struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		body := map[string]any{"source_wallet_id": a.WalletID, "destination_wallet_id": b.WalletID, "amount": amountMinor, "currency": "USD",
			"mode": "hold", "hold_expires_in_seconds": holdExpirySeconds}
		if _, err := c.Call(ctx, "POST", "/v1/transfers", a.Token, fmt.Sprintf("%s-hold-%d", runID, i), body, &v); err != nil || v.Status != "HELD" {
			return false, err
		}
		st, err := c.Call(ctx, "POST", "/v1/transfers/"+v.ID+"/capture", a.Token, fmt.Sprintf("%s-capture-%d", runID, i), nil, nil)
		return st == http.StatusOK || st == http.StatusAccepted, err
	})
}

// holdExpirySeconds is the holds' expiry: longer than the run, so none expires in it.
const holdExpirySeconds = 600

// Credits runs n credits of amountMinor into p's wallet, concurrency at a time, and
// returns how many were created.
func (c *Client) Credits(ctx context.Context, p Party, n, concurrency int, amountMinor int64, runID string) (int, error) {
	return c.each(n, concurrency, func(i int) (bool, error) {
		st, err := c.Call(ctx, "POST", "/v1/wallets/"+p.WalletID+"/credits", p.Token, fmt.Sprintf("%s-credit-%d", runID, i),
			map[string]int64{"amount": amountMinor}, nil)
		return st == http.StatusCreated, err
	})
}

// each runs do for 0..n-1, concurrency at a time, and counts the runs that reported
// done; the first error is returned.
func (c *Client) each(n, concurrency int, do func(i int) (bool, error)) (int, error) {
	jobs := make(chan int)
	var mu sync.Mutex
	done := 0
	var firstErr error
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range jobs {
				ok, err := do(i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if ok {
					done++
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return done, firstErr
}

// WaitForNotifications polls p's notifications until want of type typ are listed (the
// last of the operations' events has been consumed) or the deadline passes.
func (c *Client) WaitForNotifications(ctx context.Context, p Party, typ string, want int, deadline time.Time) error {
	for time.Now().Before(deadline) {
		got, cursor := 0, ""
		for {
			var page struct {
				Items []struct {
					Type string `json:"type"`
				} `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			path := "/v1/notifications?limit=100"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			if _, err := c.Call(ctx, "GET", path, p.Token, "", nil, &page); err != nil {
				return err
			}
			for _, n := range page.Items {
				if n.Type == typ {
					got++
				}
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if got >= want {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("%d %s notifications did not arrive in time", want, typ)
}

// WaitForPoints polls the payer's points until they reach want (the last of the
// transfers' events has been consumed) or the deadline passes.
func (c *Client) WaitForPoints(ctx context.Context, p Party, want int64, deadline time.Time) error {
	for time.Now().Before(deadline) {
		var r struct {
			Balances []struct {
				Points int64 `json:"points"`
			} `json:"balances"`
		}
		if _, err := c.Call(ctx, "GET", "/v1/rewards", p.Token, "", nil, &r); err != nil {
			return err
		}
		var points int64
		for _, b := range r.Balances {
			points += b.Points
		}
		if points >= want {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("points did not reach %d in time", want)
}
