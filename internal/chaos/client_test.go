package chaos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

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
