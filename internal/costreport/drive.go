package costreport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
	jobs := make(chan int)
	var mu sync.Mutex
	completed := 0
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var v struct {
					Status string `json:"status"`
				}
				body := map[string]any{"source_wallet_id": a.WalletID, "destination_wallet_id": b.WalletID, "amount": amountMinor, "currency": "USD"}
				_, err := c.Call(ctx, "POST", "/v1/transfers", a.Token, fmt.Sprintf("%s-%d", runID, i), body, &v)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if v.Status == "COMPLETED" {
					completed++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return completed, firstErr
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
