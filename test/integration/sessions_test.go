//go:build integration

package integration

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sessionOf logs in (as a native client unless headers say otherwise) and returns the answer.
func sessionOf(t *testing.T, email, device string, headers map[string]string) reply {
	t.Helper()
	r := do(t, call{method: "POST", path: "/v1/auth/login", headers: headers,
		body: map[string]string{"email": email, "password": testPassword, "device": device}})
	require.Equal(t, http.StatusOK, r.Status, "login: %s", r.Body)
	return r
}

// requireTokenStops polls GET /v1/me with token until the gateway refuses it: a revoked
// session stops working within the authorizer's cache TTL.
func requireTokenStops(t *testing.T, token string) {
	t.Helper()
	ttl, err := strconv.Atoi(stackOutputs(t)["AuthorizerCacheSeconds"])
	require.NoError(t, err)
	deadline := time.Now().Add(time.Duration(ttl)*time.Second + 2*time.Second)
	for {
		r := do(t, call{method: "GET", path: "/v1/me", token: token})
		if r.Status == http.StatusUnauthorized {
			return
		}
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.True(t, time.Now().Before(deadline), "the token still works %d s after its session ended", ttl)
		time.Sleep(250 * time.Millisecond)
	}
}

// TestRefreshRotatesAndDetectsReuse: a refresh answers a new access token and a new
// refresh token; presenting the used one answers 401 refresh_reused and revokes the
// whole session, so its newest refresh token and its access tokens stop working.
func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "refresh")
	first := sessionOf(t, a.Email, "phone", nil).JSON(t)
	require.NotEmpty(t, first["refresh_token"])
	assert.EqualValues(t, 30*24*3600, first["refresh_expires_in"])

	r := do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": first["refresh_token"].(string)}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	second := r.JSON(t)
	assert.Equal(t, first["session_id"], second["session_id"], "the same session")
	assert.NotEqual(t, first["refresh_token"], second["refresh_token"], "rotated")
	me := do(t, call{method: "GET", path: "/v1/me", token: second["access_token"].(string)})
	require.Equal(t, http.StatusOK, me.Status, "%s", me.Body)
	assert.Equal(t, true, me.JSON(t)["email_verified"], "the refreshed token reads the verified flag again")

	reused := do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": first["refresh_token"].(string)}})
	require.Equal(t, http.StatusUnauthorized, reused.Status, "%s", reused.Body)
	assert.Equal(t, "refresh_reused", reused.ErrorCode())
	after := do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": second["refresh_token"].(string)}})
	require.Equal(t, http.StatusUnauthorized, after.Status, "%s", after.Body)
	assert.Equal(t, "invalid_refresh_token", after.ErrorCode(), "the whole family is revoked")
	requireTokenStops(t, second["access_token"].(string))

	unknown := do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": "not-a-token"}})
	assert.Equal(t, http.StatusUnauthorized, unknown.Status)
	assert.Equal(t, "invalid_refresh_token", unknown.ErrorCode())
}

// TestBrowserSessionUsesTheCookie: with X-Wallet-Client: browser the refresh token is
// an HttpOnly, Secure, SameSite=Strict cookie on /v1/auth and never in the body; the
// cookie refreshes only together with the header.
func TestBrowserSessionUsesTheCookie(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "browser")
	browser := map[string]string{"X-Wallet-Client": "browser"}
	login := sessionOf(t, a.Email, "browser", browser)
	assert.NotContains(t, login.JSON(t), "refresh_token", "not in the body")
	cookie := login.Header.Get("Set-Cookie")
	for _, attr := range []string{"wallet_refresh=", "HttpOnly", "Secure", "SameSite=Strict", "Path=/v1/auth", "Max-Age=2592000"} {
		assert.Contains(t, cookie, attr)
	}
	value := strings.TrimPrefix(strings.Split(cookie, ";")[0], "wallet_refresh=")
	require.NotEmpty(t, value)

	noHeader := do(t, call{method: "POST", path: "/v1/auth/refresh", headers: map[string]string{"Cookie": "wallet_refresh=" + value}})
	assert.Equal(t, http.StatusUnauthorized, noHeader.Status, "the cookie without the header (a cross-site form) is refused: %s", noHeader.Body)

	r := do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{},
		headers: map[string]string{"X-Wallet-Client": "browser", "Cookie": "wallet_refresh=" + value}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	assert.NotContains(t, r.JSON(t), "refresh_token")
	assert.Contains(t, r.Header.Get("Set-Cookie"), "wallet_refresh=")
	assert.NotContains(t, r.Header.Get("Set-Cookie"), value, "rotated")
}

// TestSessionsListEndAndLogout: the caller sees its sessions (device, ip, times, which
// is current), ends another device's session (another user's answers 404
// session_not_found), and logs out; ended sessions' tokens stop working.
func TestSessionsListEndAndLogout(t *testing.T) {
	t.Parallel()
	a := signupAndLogin(t, "sessions")
	stranger := signupAndLogin(t, "sessions-stranger")
	here := sessionOf(t, a.Email, "laptop", nil).JSON(t)
	lost := sessionOf(t, a.Email, "lost phone", nil).JSON(t)
	token := here["access_token"].(string)

	r := do(t, call{method: "GET", path: "/v1/auth/sessions", token: token})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	byID := map[string]map[string]any{}
	for _, it := range r.JSON(t)["items"].([]any) {
		s := it.(map[string]any)
		byID[s["id"].(string)] = s
	}
	require.Contains(t, byID, here["session_id"])
	require.Contains(t, byID, lost["session_id"])
	assert.Equal(t, true, byID[here["session_id"].(string)]["current"])
	assert.Equal(t, false, byID[lost["session_id"].(string)]["current"])
	assert.Equal(t, "lost phone", byID[lost["session_id"].(string)]["device"])
	assert.NotEmpty(t, byID[lost["session_id"].(string)]["ip"])
	assert.NotEmpty(t, byID[lost["session_id"].(string)]["last_used_at"])

	theirs := do(t, call{method: "DELETE", path: "/v1/auth/sessions/" + lost["session_id"].(string), token: stranger.Token})
	assert.Equal(t, http.StatusNotFound, theirs.Status)
	assert.Equal(t, "session_not_found", theirs.ErrorCode())
	gone := do(t, call{method: "DELETE", path: "/v1/auth/sessions/" + lost["session_id"].(string), token: token})
	require.Equal(t, http.StatusNoContent, gone.Status, "%s", gone.Body)
	requireTokenStops(t, lost["access_token"].(string))
	refresh := do(t, call{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": lost["refresh_token"].(string)}})
	assert.Equal(t, "invalid_refresh_token", refresh.ErrorCode(), "an ended session refreshes no more")

	out := do(t, call{method: "POST", path: "/v1/auth/logout", token: token})
	require.Equal(t, http.StatusNoContent, out.Status, "%s", out.Body)
	assert.Contains(t, out.Header.Get("Set-Cookie"), "Max-Age=0", "the cookie is cleared")
	requireTokenStops(t, token)
	me := do(t, call{method: "GET", path: "/v1/me", token: a.Token})
	assert.Equal(t, http.StatusOK, me.Status, "the account's other sessions go on")
}
