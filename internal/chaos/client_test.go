package chaos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A token that expires during a run is renewed once, and every later request of that
// caller sends the new one.
func TestSettleRenewsAnExpiredToken(t *testing.T) {
	var logins, refused atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer fresh" {
			refused.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	s := &Sessions{Login: func(context.Context, string) (string, error) { logins.Add(1); return "fresh", nil }}
	s.Add("a@x.test", "stale")
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client(), Sessions: s}

	for i := 0; i < 3; i++ {
		r, err := c.Settle(context.Background(), "GET", "/v1/me", "stale", "", nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, r.Status)
	}
	assert.EqualValues(t, 1, logins.Load(), "one login for the caller")
	assert.EqualValues(t, 1, refused.Load(), "only the first request sent the stale token")
}

// A token the API refuses right after a login is a real refusal, not retried forever.
func TestSettleRenewsOnlyOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	defer srv.Close()
	s := &Sessions{Login: func(context.Context, string) (string, error) { return "also-refused", nil }}
	s.Add("a@x.test", "stale")
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client(), Sessions: s}
	r, err := c.Settle(context.Background(), "GET", "/v1/me", "stale", "", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, r.Status)
}

// The breaker's 503 is waited out past the attempt budget (for breakerWaitMax); any
// other 5xx uses the budget up.
func TestSettleWaitsOutTheBreaker(t *testing.T) {
	now := func(time.Duration) <-chan time.Time { ch := make(chan time.Time, 1); ch <- time.Now(); return ch }
	cases := []struct {
		name     string
		status   int
		body     string
		wantErr  bool
		wantSent int32
	}{
		{"breaker open for more than the attempts, then created", http.StatusServiceUnavailable,
			`{"error":{"code":"service_unavailable","message":"transfers are paused after repeated failures; retry later"}}`, false, attemptsMax + 21},
		{"another 503: the budget", http.StatusServiceUnavailable, `{"error":{"code":"internal","message":"x"}}`, true, attemptsMax},
		{"a 500: the budget", http.StatusInternalServerError, `{"error":{"code":"internal","message":"x"}}`, true, attemptsMax},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if sent.Add(1) <= attemptsMax+20 {
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(tc.body))
					return
				}
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"id":"t-1"}`))
			}))
			defer srv.Close()
			c := &Client{BaseURL: srv.URL, HTTP: srv.Client(), after: now}
			r, err := c.Settle(context.Background(), "POST", "/v1/transfers", "tok", "key-1", map[string]int{"amount": 1})
			assert.Equal(t, tc.wantErr, err != nil, "%v", err)
			if !tc.wantErr {
				assert.Equal(t, http.StatusCreated, r.Status)
			}
			assert.Equal(t, tc.wantSent, sent.Load())
		})
	}
}
