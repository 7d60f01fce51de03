//go:build integration

// Package integration drives the API deployed on the local engine (make test deploys
// it first) with real HTTP calls and real AWS SDK calls; nothing here is mocked.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/mailbox"
)

const requestTimeoutSeconds = 60

var (
	apiURL     = strings.TrimRight(os.Getenv("WALLET_API_URL"), "/")
	httpClient = &http.Client{Timeout: requestTimeoutSeconds * time.Second}
	uniq       atomic.Int64
	runID      = fmt.Sprintf("%x", time.Now().UnixNano())
	// binDir holds the commands a test builds (cmd/admin), removed when the tests end.
	binDir string
)

func TestMain(m *testing.M) {
	if apiURL == "" {
		fmt.Fprintln(os.Stderr, "WALLET_API_URL is not set: run the integration tests through `make test`")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "wallet-integration-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// reply is one HTTP answer.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

func decode(t *testing.T, r reply, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

// errorBody reads the API's error shape; its fields are "" when the body has none.
func (r reply) errorBody() (code, message string) {
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code, b.Error.Message
}

// ErrorCode returns error.code of an error body, or "".
func (r reply) ErrorCode() string {
	code, _ := r.errorBody()
	return code
}

// ErrorMessage returns error.message of an error body, or "".
func (r reply) ErrorMessage() string {
	_, message := r.errorBody()
	return message
}

type call struct {
	method  string
	path    string
	body    any // string or []byte is sent as is; anything else as JSON
	token   string
	headers map[string]string
	once    bool // report a 429 instead of waiting it out (tests of the limits)
}

// rateLimitedRetriesMax bounds how often send waits out a 429 rate_limited; the local
// stack's windows are seconds long (scripts/deploy-local.sh), so this is generous.
const rateLimitedRetriesMax = 12

// send makes one HTTP call, and like a well-behaved client (or an AWS SDK's retryer)
// sends it again after Retry-After when the API answers 429 rate_limited, which
// changed nothing. It is safe in any goroutine: it reports failure as an error
// instead of failing a test.
func send(c call) (reply, error) {
	for attempt := 0; ; attempt++ {
		r, err := sendOnce(c)
		if err != nil || c.once || r.Status != http.StatusTooManyRequests || r.ErrorCode() != "rate_limited" || attempt == rateLimitedRetriesMax {
			return r, err
		}
		wait, convErr := strconv.Atoi(r.Header.Get("Retry-After"))
		if convErr != nil || wait < 1 {
			return r, fmt.Errorf("%s %s: 429 without a usable Retry-After (%q)", c.method, c.path, r.Header.Get("Retry-After"))
		}
		time.Sleep(time.Duration(wait)*time.Second + time.Duration(rand.IntN(250))*time.Millisecond)
	}
}

// sendOnce makes one HTTP call.
func sendOnce(c call) (reply, error) {
	var rd io.Reader
	switch b := c.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			return reply{}, fmt.Errorf("%s %s: encode body: %w", c.method, c.path, err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(c.method, apiURL+c.path, rd)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", c.method, c.path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", c.method, c.path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read body: %w", c.method, c.path, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// do is send for the test's own goroutine: it fails the test when the call fails.
// Goroutines call send and hand their errors back to the test goroutine.
func do(t *testing.T, c call) reply {
	t.Helper()
	r, err := send(c)
	require.NoError(t, err)
	return r
}

// concurrently runs run(0) … run(n-1) at once and returns their results in order. The
// goroutines only hand their errors back; the test fails here, in its own goroutine,
// when any of them could not finish.
func concurrently[T any](t *testing.T, n int, run func(i int) (T, error)) []T {
	t.Helper()
	results := make([]T, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = run(i) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	return results
}

// fetch GETs path and decodes its 200 answer; safe in goroutines.
func fetch[T any](token, path string) (T, error) {
	var v T
	err := getJSON(token, path, &v)
	return v, err
}

// get GETs path and decodes its 200 answer; any other answer fails the test (not for
// goroutines: use fetch there).
func get[T any](t *testing.T, token, path string) T {
	t.Helper()
	v, err := fetch[T](token, path)
	require.NoError(t, err)
	return v
}

// getJSON GETs path and decodes a 200 answer into v; any other answer is an error.
func getJSON(token, path string, v any) error {
	r, err := send(call{method: "GET", path: path, token: token})
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("GET %s: %w; body: %s", path, err, r.Body)
	}
	return nil
}

// newEmail returns an email no other test or run uses.
func newEmail(prefix string) string {
	return fmt.Sprintf("%s-%s-%d@example.com", prefix, runID, uniq.Add(1))
}

const testPassword = "correct horse battery staple"

type account struct {
	ID    string
	Email string
	Token string
}

// signupAndLogin creates a fresh user, verifies its email with the code the stack
// emailed (read from the local mail catcher), and logs in.
func signupAndLogin(t *testing.T, prefix string) account {
	t.Helper()
	email := newEmail(prefix)
	r := do(t, call{method: "POST", path: "/v1/auth/signup", body: map[string]string{"email": email, "password": testPassword, "name": prefix}})
	require.Equal(t, http.StatusAccepted, r.Status, "signup: %s", r.Body)
	id := verifyEmail(t, email)
	return account{ID: id, Email: email, Token: login(t, email, testPassword)}
}

// signupUnverified creates a fresh user and logs in without verifying its email.
func signupUnverified(t *testing.T, prefix string) account {
	t.Helper()
	email := newEmail(prefix)
	r := do(t, call{method: "POST", path: "/v1/auth/signup", body: map[string]string{"email": email, "password": testPassword, "name": prefix}})
	require.Equal(t, http.StatusAccepted, r.Status, "signup: %s", r.Body)
	me := do(t, call{method: "GET", path: "/v1/me", token: login(t, email, testPassword)})
	require.Equal(t, http.StatusOK, me.Status, "%s", me.Body)
	return account{ID: me.JSON(t)["id"].(string), Email: email, Token: login(t, email, testPassword)}
}

// inbox is the local mail catcher the engine's SES relays to.
func inbox(t *testing.T) *mailbox.Box {
	t.Helper()
	b, err := mailbox.FromEnv()
	require.NoError(t, err)
	return b
}

// mailAfter waits until the address has more than seen emails and returns them all.
func mailAfter(t *testing.T, email string, seen int) []mailbox.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms, err := inbox(t).Messages(context.Background(), email)
		require.NoError(t, err)
		if len(ms) > seen {
			return ms
		}
		require.True(t, time.Now().Before(deadline), "no new email to %s (%d so far)", email, len(ms))
		time.Sleep(100 * time.Millisecond)
	}
}

// verifyEmail verifies an address with the latest code emailed to it and returns the
// user's id.
func verifyEmail(t *testing.T, email string) string {
	t.Helper()
	code, err := inbox(t).LatestCode(context.Background(), email)
	require.NoError(t, err)
	r := do(t, call{method: "POST", path: "/v1/auth/verify", body: map[string]string{"email": email, "code": code}})
	require.Equal(t, http.StatusOK, r.Status, "verify: %s", r.Body)
	u := r.JSON(t)
	require.Equal(t, true, u["email_verified"])
	return u["id"].(string)
}

func login(t *testing.T, email, password string) string {
	t.Helper()
	r := do(t, call{method: "POST", path: "/v1/auth/login", body: map[string]string{"email": email, "password": password}})
	require.Equal(t, http.StatusOK, r.Status, "login: %s", r.Body)
	return r.JSON(t)["access_token"].(string)
}

// stackOutputs reads what the deploy wrote (.local/outputs.json).
func stackOutputs(t *testing.T) map[string]string {
	t.Helper()
	path := os.Getenv("WALLET_OUTPUTS_FILE")
	require.NotEmpty(t, path, "WALLET_OUTPUTS_FILE is not set: run the integration tests through `make test`")
	if !filepath.IsAbs(path) {
		path = filepath.Join("..", "..", path) // relative to the repository root; go test runs in this directory
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out map[string]string
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	require.NoError(t, err)
	return cfg
}
