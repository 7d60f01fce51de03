// Package chaos is a bank workload with faults: concurrent clients run a random mix of
// credits, immediate transfers, holds captured (fully or partly) or voided, and
// redemptions against the deployed API, retrying with the same Idempotency-Key the way
// a careful client does, while saga steps are made to fail or stall for part of the
// run. Afterwards Check verifies, from the API alone, that no money was lost or made.
package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Reply is one HTTP answer.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
	At     time.Time
}

// Code is the API error code of an error answer, or "".
func (r Reply) Code() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Decode reads the answer's JSON body into v.
func (r Reply) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode %d answer %q: %w", r.Status, r.Body, err)
	}
	return nil
}

// Client calls the deployed API.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	// Observe, when set, sees every answer (the workload counts statuses with it).
	Observe func(method, path string, r Reply)
}

// Do sends one request; body is marshalled as JSON when not nil.
func (c *Client) Do(ctx context.Context, method, path, token, key string, body any) (Reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return Reply{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Reply{}, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	r := Reply{Status: resp.StatusCode, Header: resp.Header, Body: b, At: time.Now()}
	if c.Observe != nil {
		c.Observe(method, path, r)
	}
	return r, nil
}

// Unexpected describes an answer that is not the one wanted, or the error that left
// no answer at all.
func Unexpected(what string, r Reply, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %d %s", what, r.Status, r.Body)
}

// Retry policy of a careful client: the same request, with the same Idempotency-Key,
// again after a network error, a 5xx, a 429, or a 409 that says to wait.
const (
	attemptsMax     = 40
	backoffFirst    = 200 * time.Millisecond
	backoffMax      = 3 * time.Second
	retryAfterMaxS  = 10
	httpTimeoutSecs = 30
)

// retryable reports whether an answer leaves the request's outcome open, so the client
// sends it again with the same key.
func retryable(r Reply) bool {
	switch {
	case r.Status >= 500, r.Status == http.StatusTooManyRequests:
		return true
	case r.Status == http.StatusConflict:
		return r.Code() == "request_in_progress" || r.Code() == "contention"
	}
	return false
}

// wait is how long to wait before attempt n+1 after r: Retry-After when given, else an
// exponential back-off.
func wait(r Reply, n int) time.Duration {
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(min(s, retryAfterMaxS)) * time.Second
	}
	d := backoffFirst << min(n, 4)
	return min(d, backoffMax)
}

// Settle sends a request until its answer is definitive (not retryable), at most
// attemptsMax times, always with the same key.
func (c *Client) Settle(ctx context.Context, method, path, token, key string, body any) (Reply, error) {
	var last Reply
	for n := 0; n < attemptsMax; n++ {
		r, err := c.Do(ctx, method, path, token, key, body)
		if err == nil && !retryable(r) {
			return r, nil
		}
		if err == nil {
			last = r
		}
		d := wait(last, n)
		if err != nil {
			d = backoffFirst << min(n, 4)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(d):
		}
	}
	return last, fmt.Errorf("%s %s (key %s): no definitive answer after %d attempts, last %d %s", method, path, key, attemptsMax, last.Status, last.Body)
}
