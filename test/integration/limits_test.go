//go:build integration

package integration

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/ratelimit"
)

// burstWorkersMax bounds the client's concurrency while it drives a class to its limit,
// so the engine runs a handful of environments rather than one per request.
const burstWorkersMax = 8

func deployedLimits(t *testing.T) ratelimit.Rules {
	t.Helper()
	rules, err := ratelimit.ParseRules(stackOutputs(t)["RateLimits"])
	require.NoError(t, err)
	return rules
}

// waitForWindowStart sleeps until just after the next boundary of window (windows are
// aligned to the Unix epoch), so a test's requests start in a window no one else used.
func waitForWindowStart(window time.Duration) time.Time {
	w := int64(window / time.Second)
	next := time.Unix((time.Now().Unix()/w+1)*w, 0)
	time.Sleep(time.Until(next) + 100*time.Millisecond)
	return next
}

// timedReply is a reply with when it arrived.
type timedReply struct {
	reply
	at time.Time
}

// burst sends n copies of c with at most workers in flight and returns every reply.
func burst(t *testing.T, c call, n, workers int) []timedReply {
	t.Helper()
	c.once = true
	replies := make([]timedReply, n)
	errs := make([]error, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				r, err := send(c)
				replies[i], errs[i] = timedReply{reply: r, at: time.Now()}, err
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return replies
}

// requireRateLimitHeaders checks the RateLimit fields of one reply.
func requireRateLimitHeaders(t *testing.T, r timedReply, rule ratelimit.Rule) {
	t.Helper()
	assert.Equal(t, strconv.FormatInt(rule.Limit, 10), r.Header.Get("RateLimit-Limit"), "status %d: %s", r.Status, r.Body)
	remaining, err := strconv.ParseInt(r.Header.Get("RateLimit-Remaining"), 10, 64)
	require.NoError(t, err)
	assert.True(t, remaining >= 0 && remaining < rule.Limit, "RateLimit-Remaining %d of %d", remaining, rule.Limit)
	reset, err := strconv.Atoi(r.Header.Get("RateLimit-Reset"))
	require.NoError(t, err)
	assert.True(t, reset >= 1 && reset <= int(rule.Window/time.Second), "RateLimit-Reset %d for a %s window", reset, rule.Window)
	if r.Status == http.StatusTooManyRequests {
		assert.Equal(t, "rate_limited", r.ErrorCode())
		assert.Equal(t, "0", r.Header.Get("RateLimit-Remaining"))
		assert.Equal(t, r.Header.Get("RateLimit-Reset"), r.Header.Get("Retry-After"))
	} else {
		assert.Empty(t, r.Header.Get("Retry-After"))
	}
}

// TestRateLimitsPerClass drives every route class to its limit through the API, checks
// the refusal and the headers, and sees the class recover after the window. Requests
// that a handler refuses are enough: the limit is counted before the handler runs. They
// must get past the gateway's validators (which count nothing), so each is well formed
// where the gateway looks: a transfer with a malformed Idempotency-Key, a signup with an email whose domain has
// no dot, a login with an empty password (refused before it counts as a failed login).
// The subtests share nothing (each class has its own counter; the per-user classes use
// their own users), so they run side by side.
func TestRateLimitsPerClass(t *testing.T) {
	rules := deployedLimits(t)
	user := signupAndLogin(t, "limits")
	reader := signupAndLogin(t, "limits-read")
	tests := []struct {
		class ratelimit.Class
		req   call
	}{
		{ratelimit.ClassMoney, call{method: "POST", path: "/v1/transfers", token: user.Token,
			headers: map[string]string{"Idempotency-Key": "not a valid key"},
			body:    transferBody(uuid.NewString(), uuid.NewString(), 1)}},
		{ratelimit.ClassRead, call{method: "GET", path: "/v1/me", token: reader.Token}},
		{ratelimit.ClassSignup, call{method: "POST", path: "/v1/auth/signup",
			body: map[string]any{"email": "limits@localhost", "password": testPassword, "name": "L"}}},
		{ratelimit.ClassLogin, call{method: "POST", path: "/v1/auth/login",
			body: map[string]any{"email": "limits@wallet.test", "password": ""}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.class), func(t *testing.T) {
			t.Parallel()
			rule := rules[tt.class]
			waitForWindowStart(rule.Window)
			replies := burst(t, tt.req, int(rule.Limit)+burstWorkersMax, burstWorkersMax)
			var refused *timedReply
			for i := range replies {
				requireRateLimitHeaders(t, replies[i], rule)
				if replies[i].Status == http.StatusTooManyRequests && refused == nil {
					refused = &replies[i]
				}
			}
			require.NotNil(t, refused, "%d requests in one %s window of a %d-request limit were all let through", len(replies), rule.Window, rule.Limit)

			retryAfter, err := strconv.Atoi(refused.Header.Get("Retry-After"))
			require.NoError(t, err)
			time.Sleep(time.Until(refused.at.Add(time.Duration(retryAfter)*time.Second)) + 200*time.Millisecond)
			again := tt.req
			again.once = true
			r, err := send(again)
			require.NoError(t, err)
			assert.NotEqual(t, http.StatusTooManyRequests, r.Status, "the class recovers after Retry-After: %s", r.Body)
			assert.Equal(t, strconv.FormatInt(rule.Limit-1, 10), r.Header.Get("RateLimit-Remaining"), "the first request of a new window")
		})
	}
}

// TestRateLimitLetsExactlyTheLimitThrough sends three times the write limit at once:
// the conditional counter lets exactly the limit through in the window, and the
// refused requests change nothing.
func TestRateLimitLetsExactlyTheLimitThrough(t *testing.T) {
	rule := deployedLimits(t)[ratelimit.ClassWrite]
	u := signupAndLogin(t, "limits-exact")
	n := int(3 * rule.Limit)
	first := waitForWindowStart(rule.Window)
	replies := burst(t, call{method: "POST", path: "/v1/notifications/read-all", token: u.Token}, n, n)

	// A reply that arrived before the first window ended was counted in it. On a slow
	// machine a few may arrive later; they are counted in the next window, which this
	// burst cannot fill, so they only make the check below less exact, never wrong.
	firstEnd := first.Add(rule.Window)
	allowed, refused, late := 0, 0, 0
	for _, r := range replies {
		require.Contains(t, []int{http.StatusOK, http.StatusTooManyRequests}, r.Status, "%s", r.Body)
		requireRateLimitHeaders(t, r, rule)
		switch {
		case !r.at.Before(firstEnd):
			late++
		case r.Status == http.StatusOK:
			allowed++
		default:
			refused++
		}
	}
	require.NotZero(t, refused, "no request was refused in the first window")
	assert.LessOrEqual(t, allowed, int(rule.Limit), "never more than the limit in a window")
	if late == 0 {
		assert.Equal(t, int(rule.Limit), allowed, "exactly the limit gets through a window")
	} else {
		t.Logf("%d of %d replies arrived after the first window; exactness checked as at most the limit", late, n)
	}
}

// TestLoginLockout fails logins for a known and an unknown email alike: both lock after
// the same number of failures, refuse even the right password while locked, lock longer
// on the next failure, and only the known account's success resets the count.
func TestLoginLockout(t *testing.T) {
	out := stackOutputs(t)
	failuresMax, err := strconv.Atoi(out["LoginFailuresMax"])
	require.NoError(t, err)
	lockSeconds, err := strconv.Atoi(out["LoginLockSeconds"])
	require.NoError(t, err)
	lockMaxSeconds, err := strconv.Atoi(out["LoginLockMaxSeconds"])
	require.NoError(t, err)
	require.GreaterOrEqual(t, lockMaxSeconds, 2*lockSeconds, "the test needs room for one doubling")

	known := signupAndLogin(t, "lockout")
	tests := []struct {
		name  string
		email string
		known bool
	}{
		{"known email", known.Email, true},
		{"unknown email", newEmail("lockout-nobody"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			attempt := func(password string) timedReply {
				r, err := send(call{method: "POST", path: "/v1/auth/login", once: true,
					body: map[string]string{"email": tt.email, "password": password}})
				require.NoError(t, err)
				return timedReply{reply: r, at: time.Now()}
			}
			failed := func() {
				t.Helper()
				r := attempt("not the password at all")
				require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
				require.Equal(t, "invalid_credentials", r.ErrorCode())
			}
			locked := func(minSeconds, maxSeconds int) {
				t.Helper()
				r := attempt(testPassword)
				require.Equal(t, http.StatusTooManyRequests, r.Status, "locked, even with the right password: %s", r.Body)
				require.Equal(t, "rate_limited", r.ErrorCode())
				wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
				require.NoError(t, err)
				assert.True(t, wait >= minSeconds && wait <= maxSeconds, "Retry-After %d, want %d..%d", wait, minSeconds, maxSeconds)
				time.Sleep(time.Until(r.at.Add(time.Duration(wait)*time.Second)) + 300*time.Millisecond)
			}

			for range failuresMax {
				failed()
			}
			locked(1, lockSeconds)
			failed()
			locked(lockSeconds+1, 2*lockSeconds) // the next failure doubles the lock

			r := attempt(testPassword)
			if !tt.known {
				require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Body)
				return
			}
			require.Equal(t, http.StatusOK, r.Status, "the right password after the lock: %s", r.Body)
			for range failuresMax - 1 {
				failed() // the success reset the count: no lock below the threshold
			}
			final := attempt(testPassword)
			require.Equal(t, http.StatusOK, final.Status, "%s (Retry-After %q, RateLimit-Remaining %q)",
				final.Body, final.Header.Get("Retry-After"), final.Header.Get("RateLimit-Remaining"))
		})
	}
}
