// Package chaos is a bank workload with faults: concurrent clients run a random mix of
// credits, immediate transfers, holds captured (fully or partly) or voided, refunds,
// withdrawals, payment requests (paid, some twice at once, declined or cancelled) and
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
	"sync"
	"time"
)

// Reply is one HTTP answer.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
	At     time.Time
}

// codeUnreadable is what Code says of a body that is not JSON (the workload also records
// such an answer as a problem: see Workload.observe).
const codeUnreadable = "unreadable_answer"

// Code is the API error code of an error answer, "" when it has none, codeUnreadable
// when the body is not JSON.
func (r Reply) Code() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if len(r.Body) > 0 && json.Unmarshal(r.Body, &e) != nil {
		return codeUnreadable
	}
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
	// Sessions, when set, renews a caller's access token when it expires (a run
	// outlives the tokens' 15 minutes).
	Sessions *Sessions
	// after is how Settle waits between attempts (time.After when nil; tests wait not).
	after func(time.Duration) <-chan time.Time
}

// Sessions keeps each caller's current access token, and logs in again when the API
// refuses one as expired. Callers keep the token they first got: it names the caller.
type Sessions struct {
	Login func(ctx context.Context, email string) (string, error)

	mu      sync.Mutex
	emailOf map[string]string // any token ever issued → its caller
	current map[string]string // caller → the token to send now
}

// Add records a caller's first token.
func (s *Sessions) Add(email, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emailOf == nil {
		s.emailOf, s.current = map[string]string{}, map[string]string{}
	}
	s.emailOf[token], s.current[email] = email, token
}

// Current is the token to send for the caller that token names.
func (s *Sessions) Current(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if email, ok := s.emailOf[token]; ok {
		return s.current[email]
	}
	return token
}

// Renew logs the caller in again unless another request already did, and returns the
// token to send now.
func (s *Sessions) Renew(ctx context.Context, refused string) (string, error) {
	s.mu.Lock()
	email, ok := s.emailOf[refused]
	if !ok || s.current[email] != refused {
		defer s.mu.Unlock()
		if !ok {
			return refused, fmt.Errorf("no session for the refused token")
		}
		return s.current[email], nil
	}
	s.mu.Unlock()
	fresh, err := s.Login(ctx, email)
	if err != nil {
		return refused, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emailOf[fresh], s.current[email] = email, fresh
	return fresh, nil
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
// again after a network error, a 5xx, a 429, or a 409 that says to wait. The circuit
// breaker's 503 ("transfers are paused") is waited out as its Retry-After asks, for up
// to breakerWaitMax in all, without using up the attempts: under the run's fault phases
// the breaker may stay open for minutes, and a client that gave up then would leave its
// transfer undetermined for no fault of the service.
const (
	attemptsMax     = 40
	breakerWaitMax  = 20 * time.Minute
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

func (c *Client) waitFor(d time.Duration) <-chan time.Time {
	if c.after != nil {
		return c.after(d)
	}
	return time.After(d)
}

// Settle sends a request until its answer is definitive (not retryable), at most
// attemptsMax times, always with the same key.
func (c *Client) Settle(ctx context.Context, method, path, token, key string, body any) (Reply, error) {
	var last Reply
	if c.Sessions != nil && token != "" {
		token = c.Sessions.Current(token)
	}
	renewed := false
	breakerSince := time.Time{}
	tries := 0 // every attempt, for the back-off; n counts those that use up the budget
	for n := 0; n < attemptsMax; n++ {
		r, err := c.Do(ctx, method, path, token, key, body)
		if err == nil && r.Status == http.StatusServiceUnavailable && r.Code() == breakerOpenCode {
			if breakerSince.IsZero() {
				breakerSince = time.Now()
			}
			if time.Since(breakerSince) < breakerWaitMax {
				n-- // the breaker's refusal is not an attempt used up
			}
		}
		if err == nil && r.Status == http.StatusUnauthorized && c.Sessions != nil && token != "" && !renewed {
			// The token expired during the run: log in again, once, and resend.
			renewed = true
			if token, err = c.Sessions.Renew(ctx, token); err != nil {
				return r, err
			}
			continue
		}
		if err == nil && !retryable(r) {
			return r, nil
		}
		after := Reply{} // no answer: plain back-off
		if err == nil {
			last, after = r, r
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-c.waitFor(wait(after, tries)):
		}
		tries++
	}
	return last, fmt.Errorf("%s %s (key %s): no definitive answer after %d attempts, last %d %s", method, path, key, attemptsMax, last.Status, last.Body)
}
