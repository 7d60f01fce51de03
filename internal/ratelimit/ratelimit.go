// Package ratelimit holds the API's per-caller request limits and the login lock-out.
//
// Limits are fixed windows counted in a store: each request adds one hit to the item of
// its (class, subject, window) with a single conditional write that refuses the hit once
// the window is full, so exactly Limit requests pass per window however many race, and a
// refused request costs that one write and nothing else.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// Class groups routes that share one limit.
type Class string

// The route classes. Authenticated classes are counted per user, the others per source IP.
const (
	ClassMoney  Class = "money"  // credits, transfers, capture, void, redeem
	ClassWrite  Class = "write"  // every other write of an authenticated user
	ClassRead   Class = "read"   // reads of an authenticated user, and public reads
	ClassSignup Class = "signup" // per source IP
	ClassLogin  Class = "login"  // per source IP; the per-account lock-out is Lockout
)

// Classes lists every class, in the order rules are written.
var Classes = []Class{ClassMoney, ClassWrite, ClassRead, ClassSignup, ClassLogin}

// Bounds of a rule, so no configuration can overflow a counter or make a window that
// never ends.
const (
	LimitMax         = 1_000_000
	WindowSecondsMax = 86_400
)

// Rule is a limit of Limit requests per Window.
type Rule struct {
	Limit  int64
	Window time.Duration
}

// Rules holds one rule per class.
type Rules map[Class]Rule

// ParseRules reads "money=60/60s,write=120/60s,...": every class exactly once, limits in
// 1..LimitMax, windows in whole seconds in 1..WindowSecondsMax.
func ParseRules(s string) (Rules, error) {
	rules := Rules{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		name, spec, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("rate limit %q: want class=limit/window", part)
		}
		class := Class(strings.TrimSpace(name))
		if !known(class) {
			return nil, fmt.Errorf("rate limit %q: unknown class %q", part, class)
		}
		if _, dup := rules[class]; dup {
			return nil, fmt.Errorf("rate limit %q: class %q given twice", part, class)
		}
		limitText, windowText, ok := strings.Cut(spec, "/")
		if !ok {
			return nil, fmt.Errorf("rate limit %q: want class=limit/window", part)
		}
		limit, err := strconv.ParseInt(strings.TrimSpace(limitText), 10, 64)
		if err != nil || limit < 1 || limit > LimitMax {
			return nil, fmt.Errorf("rate limit %q: limit must be 1..%d", part, LimitMax)
		}
		seconds, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(windowText), "s"), 10, 64)
		if err != nil || seconds < 1 || seconds > WindowSecondsMax {
			return nil, fmt.Errorf("rate limit %q: window must be 1..%d seconds, like 60s", part, WindowSecondsMax)
		}
		rules[class] = Rule{Limit: limit, Window: time.Duration(seconds) * time.Second}
	}
	for _, c := range Classes {
		if _, ok := rules[c]; !ok {
			return nil, fmt.Errorf("rate limits %q: class %q is missing", s, c)
		}
	}
	return rules, nil
}

func known(c Class) bool {
	for _, k := range Classes {
		if k == c {
			return true
		}
	}
	return false
}

// Counter counts hits in a store.
type Counter interface {
	// Hit adds one hit to key unless it already holds limit hits. It returns the hits
	// after the call and whether this one was counted. The item may be deleted after
	// expiresAt.
	Hit(ctx context.Context, key string, limit int64, expiresAt time.Time) (hits int64, counted bool, err error)
}

// Decision is the limiter's answer for one request, with what the RateLimit headers say.
type Decision struct {
	Allowed   bool
	Limit     int64
	Remaining int64
	Reset     time.Duration // until the window ends
}

// Headers are the RateLimit header fields (IETF draft "RateLimit header fields for
// HTTP"), plus Retry-After on a refusal.
func (d Decision) Headers() map[string]string {
	h := map[string]string{
		"RateLimit-Limit":     strconv.FormatInt(d.Limit, 10),
		"RateLimit-Remaining": strconv.FormatInt(d.Remaining, 10),
		"RateLimit-Reset":     strconv.Itoa(ceilSeconds(d.Reset)),
	}
	if !d.Allowed {
		h["Retry-After"] = h["RateLimit-Reset"]
	}
	return h
}

// Err is the refusal as a problem (429 rate_limited with Retry-After).
func (d Decision) Err() error {
	return &problem.Error{Kind: problem.KindRateLimited, Code: "rate_limited",
		Message:           "too many requests; retry after the number of seconds in Retry-After",
		RetryAfterSeconds: ceilSeconds(d.Reset)}
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 1
	}
	return int(math.Ceil(d.Seconds()))
}

// expiryGrace keeps a window's item a little past its end, so that clocks a little
// apart never count into a deleted window.
const expiryGrace = time.Minute

// Limiter applies Rules with a Counter.
type Limiter struct {
	rules   Rules
	counter Counter
	now     func() time.Time
}

// NewLimiter returns a Limiter. now may be nil for time.Now.
func NewLimiter(rules Rules, counter Counter, now func() time.Time) (*Limiter, error) {
	for _, c := range Classes {
		if _, ok := rules[c]; !ok {
			return nil, fmt.Errorf("ratelimit: no rule for class %q", c)
		}
	}
	if counter == nil {
		return nil, errors.New("ratelimit: a counter is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{rules: rules, counter: counter, now: now}, nil
}

// Allow counts one request of subject in class. Windows are aligned to the Unix epoch,
// so every function instance agrees on them.
func (l *Limiter) Allow(ctx context.Context, class Class, subject string) (Decision, error) {
	rule, ok := l.rules[class]
	if !ok {
		return Decision{}, fmt.Errorf("ratelimit: unknown class %q", class)
	}
	return count(ctx, l.counter, rule, string(class), subject, l.now())
}

// count counts one hit of subject under name's rule in the window now falls in.
func count(ctx context.Context, counter Counter, rule Rule, name, subject string, now time.Time) (Decision, error) {
	windowSeconds := int64(rule.Window / time.Second)
	start := now.Unix() / windowSeconds * windowSeconds
	end := time.Unix(start+windowSeconds, 0)
	key := fmt.Sprintf("rate#%s#%s#%d", name, subject, start)
	hits, counted, err := counter.Hit(ctx, key, rule.Limit, end.Add(expiryGrace))
	if err != nil {
		return Decision{}, fmt.Errorf("count %s request: %w", name, err)
	}
	return Decision{
		Allowed:   counted,
		Limit:     rule.Limit,
		Remaining: max(rule.Limit-hits, 0),
		Reset:     end.Sub(now),
	}, nil
}

// Quota is a limit of its own on one kind of action, outside the route classes: how
// many times a subject may do it per window (a caller's recipient lookups).
type Quota struct {
	Name    string // names its counters: rate#<name>#<subject>#<window>
	Rule    Rule
	Counter Counter
	Now     func() time.Time // nil: time.Now
}

// Allow counts one action of subject; a refusal is Decision.Err's rate_limited.
func (q Quota) Allow(ctx context.Context, subject string) (Decision, error) {
	now := time.Now()
	if q.Now != nil {
		now = q.Now()
	}
	return count(ctx, q.Counter, q.Rule, q.Name, subject, now)
}
