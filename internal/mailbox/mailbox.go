// Package mailbox reads the local mail catcher (tools/mailcatcher.py), where the local
// engine's SES relays every email the stack sends: tests and local tools read the codes
// users are sent from it, as a person reads their inbox.
package mailbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"time"
)

// Message is one email the catcher received.
type Message struct {
	To         string  `json:"to"`
	From       string  `json:"from"`
	Subject    string  `json:"subject"`
	Text       string  `json:"text"`
	ReceivedAt float64 `json:"received_at"` // Unix seconds
}

// Polling of the catcher: SES relays mail in the background, so a message arrives a
// moment after the API answered.
const (
	pollInterval = 100 * time.Millisecond
	waitMax      = 20 * time.Second
)

// ErrNoCode is returned when no email with a code reached the address in time.
var ErrNoCode = errors.New("mailbox: no email with a code arrived")

var codePattern = regexp.MustCompile(`\b(\d{6})\b`)

// Code is the code in a message, or "" when it has none (a notice).
func (m Message) Code() string {
	if c := codePattern.FindStringSubmatch(m.Text); c != nil {
		return c[1]
	}
	return ""
}

// Box reads one catcher's messages.
type Box struct {
	URL    string // the catcher's API, e.g. http://127.0.0.1:5567
	Client *http.Client
}

// FromEnv is the catcher named by WALLET_MAIL_URL (set by scripts/lib.sh engine_env).
func FromEnv() (*Box, error) {
	u := os.Getenv("WALLET_MAIL_URL")
	if u == "" {
		return nil, errors.New("mailbox: WALLET_MAIL_URL is not set (scripts/lib.sh engine_env sets it)")
	}
	return &Box{URL: u, Client: &http.Client{Timeout: 5 * time.Second}}, nil
}

// Messages lists every message sent to the address, oldest first.
func (b *Box) Messages(ctx context.Context, to string) ([]Message, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL+"/messages?to="+url.QueryEscape(to), nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailbox: %s", resp.Status)
	}
	var out []Message
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("mailbox: decode: %w", err)
	}
	return out, nil
}

// LatestCode waits for an email with a code to the address and returns the latest code.
func (b *Box) LatestCode(ctx context.Context, to string) (string, error) {
	deadline := time.Now().Add(waitMax)
	for {
		ms, err := b.Messages(ctx, to)
		if err != nil {
			return "", err
		}
		for i := len(ms) - 1; i >= 0; i-- {
			if c := ms[i].Code(); c != "" {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%w for %s within %s", ErrNoCode, to, waitMax)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}
