//go:build integration

// Package integration drives the API deployed on the local engine (make test deploys
// it first) with real HTTP calls and real AWS SDK calls; nothing here is mocked.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/require"
)

const requestTimeoutSeconds = 60

var (
	apiURL     = strings.TrimRight(os.Getenv("WALLET_API_URL"), "/")
	httpClient = &http.Client{Timeout: requestTimeoutSeconds * time.Second}
	uniq       atomic.Int64
	runID      = fmt.Sprintf("%x", time.Now().UnixNano())
)

func TestMain(m *testing.M) {
	if apiURL == "" {
		fmt.Fprintln(os.Stderr, "WALLET_API_URL is not set: run the integration tests through `make test`")
		os.Exit(1)
	}
	os.Exit(m.Run())
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

// ErrorCode returns error.code of an error body, or "" when the body has no such field.
func (r reply) ErrorCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

type call struct {
	method  string
	path    string
	body    any // string or []byte is sent as is; anything else as JSON
	token   string
	headers map[string]string
}

func do(t *testing.T, c call) reply {
	t.Helper()
	var rd io.Reader
	switch b := c.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(c.method, apiURL+c.path, rd)
	require.NoError(t, err)
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
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: body}
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

// signupAndLogin creates a fresh user and logs in.
func signupAndLogin(t *testing.T, prefix string) account {
	t.Helper()
	email := newEmail(prefix)
	r := do(t, call{method: "POST", path: "/v1/auth/signup", body: map[string]string{"email": email, "password": testPassword, "name": prefix}})
	require.Equal(t, http.StatusCreated, r.Status, "signup: %s", r.Body)
	id := r.JSON(t)["id"].(string)
	return account{ID: id, Email: email, Token: login(t, email, testPassword)}
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
	b, err := os.ReadFile(os.Getenv("WALLET_OUTPUTS_FILE"))
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
