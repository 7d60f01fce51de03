package invoke

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// resetMailWait bounds the wait for the password-reset email a {{reset_code}} asks for.
const resetMailWait = 20 * time.Second

// placeholder is {{name}} in an event file, always inside a JSON string.
var placeholder = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

// Values fills one invoke's placeholders: from the seed, or made for this invoke (a
// fresh login, a fresh address, a fresh idempotency key) only when the event names them.
type Values struct {
	Seed       Seed
	API        *API   // for the values made per invoke; nil: only the seed's are known
	Function   string // the function invoked: it names the {{replay_key}}
	made       map[string]string
	freshToken string // the fresh user's access token
}

// source makes one placeholder's value.
type source func(ctx context.Context, v *Values) (string, error)

func fromSeed(f func(s Seed) string) source {
	return func(_ context.Context, v *Values) (string, error) { return f(v.Seed), nil }
}

// sources are the placeholders an event file may use (events/README.md lists them).
var sources = map[string]source{
	"user_id":            fromSeed(func(s Seed) string { return s.UserID }),
	"email":              fromSeed(func(s Seed) string { return s.Email }),
	"password":           fromSeed(func(Seed) string { return seedPassword }),
	"wallet_id":          fromSeed(func(s Seed) string { return s.WalletID }),
	"credit_id":          fromSeed(func(s Seed) string { return s.CreditID }),
	"credit_time":        fromSeed(func(s Seed) string { return s.CreditTime.UTC().Format(time.RFC3339Nano) }),
	"credit_entry_id":    fromSeed(func(s Seed) string { return s.CreditEntryID }),
	"credit_entry_key":   fromSeed(func(s Seed) string { return entryKey(s.CreditTime, s.CreditEntryID) }),
	"transfer_time":      fromSeed(func(s Seed) string { return s.TransferTime.UTC().Format(time.RFC3339Nano) }),
	"other_user_id":      fromSeed(func(s Seed) string { return s.OtherUserID }),
	"other_wallet_id":    fromSeed(func(s Seed) string { return s.OtherWalletID }),
	"transfer_id":        fromSeed(func(s Seed) string { return s.TransferID }),
	"capture_hold_id":    fromSeed(func(s Seed) string { return s.CaptureHoldID }),
	"void_hold_id":       fromSeed(func(s Seed) string { return s.VoidHoldID }),
	"notification_id":    fromSeed(func(s Seed) string { return s.NotificationID }),
	"admin_id":           fromSeed(func(s Seed) string { return s.AdminID }),
	"idempotency_key":    func(context.Context, *Values) (string, error) { return uuid.NewString(), nil },
	"replay_key":         func(_ context.Context, v *Values) (string, error) { return v.Seed.Key + "-" + v.Function, nil },
	"new_email":          func(context.Context, *Values) (string, error) { return freshEmail("signup") },
	"access_token":       func(ctx context.Context, v *Values) (string, error) { return v.login(ctx, "access_token") },
	"refresh_token":      func(ctx context.Context, v *Values) (string, error) { return v.login(ctx, "refresh_token") },
	"session_id":         func(ctx context.Context, v *Values) (string, error) { return v.login(ctx, "session_id") },
	"other_session_id":   func(ctx context.Context, v *Values) (string, error) { return v.otherSession(ctx) },
	"fresh_user_id":      func(ctx context.Context, v *Values) (string, error) { return v.freshUser(ctx, "fresh_user_id") },
	"fresh_wallet_id":    func(ctx context.Context, v *Values) (string, error) { return v.freshUser(ctx, "fresh_wallet_id") },
	"unverified_email":   func(ctx context.Context, v *Values) (string, error) { return v.unverified(ctx, "unverified_email") },
	"verification_code":  func(ctx context.Context, v *Values) (string, error) { return v.unverified(ctx, "verification_code") },
	"reset_email":        func(ctx context.Context, v *Values) (string, error) { return v.reset(ctx, "reset_email") },
	"reset_code":         func(ctx context.Context, v *Values) (string, error) { return v.reset(ctx, "reset_code") },
	"payment_request_id": func(ctx context.Context, v *Values) (string, error) { return v.paymentRequest(ctx) },
}

// entryKey is a wallet entry's sort key in the ledger table (see internal/dynamo).
func entryKey(at time.Time, id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf("ENTRY#%013d#%s", at.UnixMilli(), id)
}

// Placeholders lists the names an event file may use.
func Placeholders() []string {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Render fills every {{name}} of an event. Each name is made once per Values, so an
// event that names {{session_id}} and {{access_token}} gets the two of one login.
func (v *Values) Render(ctx context.Context, event []byte) ([]byte, error) {
	var failed error
	out := placeholder.ReplaceAllFunc(event, func(m []byte) []byte {
		if failed != nil {
			return m
		}
		val, err := v.value(ctx, string(placeholder.FindSubmatch(m)[1]))
		if err != nil {
			failed = err
			return m
		}
		return []byte(val)
	})
	if failed != nil {
		return nil, failed
	}
	if strings.Contains(string(out), "{{") {
		return nil, fmt.Errorf("the event has a malformed placeholder (names are {{lower_case}})")
	}
	return out, nil
}

func (v *Values) value(ctx context.Context, name string) (string, error) {
	if val, ok := v.made[name]; ok {
		return val, nil
	}
	src, ok := sources[name]
	if !ok {
		return "", fmt.Errorf("unknown placeholder {{%s}} (known: %s)", name, strings.Join(Placeholders(), ", "))
	}
	val, err := src(ctx, v)
	if err != nil {
		return "", fmt.Errorf("{{%s}}: %w", name, err)
	}
	if val == "" {
		return "", fmt.Errorf("{{%s}}: the seed has no value for it", name)
	}
	// Values go into JSON strings, some of them JSON inside a JSON string (a body):
	// anything that would need escaping is refused rather than escaped twice.
	if strings.ContainsAny(val, "\"\\") || strings.ContainsFunc(val, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("{{%s}}: a value that would need escaping: %q", name, val)
	}
	v.keep(name, val)
	return val, nil
}

func (v *Values) keep(name, val string) {
	if v.made == nil {
		v.made = map[string]string{}
	}
	v.made[name] = val
}

func (v *Values) needAPI() error {
	if v.API == nil {
		return fmt.Errorf("made per invoke through the API, which this render has not got")
	}
	return nil
}

// login logs the seed's user in once for this invoke and answers one of its parts.
func (v *Values) login(ctx context.Context, part string) (string, error) {
	if err := v.needAPI(); err != nil {
		return "", err
	}
	s, err := v.API.Login(ctx, v.Seed.Email, seedPassword)
	if err != nil {
		return "", err
	}
	v.keep("access_token", s.AccessToken)
	v.keep("refresh_token", s.RefreshToken)
	v.keep("session_id", s.SessionID)
	return v.made[part], nil
}

// otherSession is a second session of the seed's user (one to end while using another).
func (v *Values) otherSession(ctx context.Context) (string, error) {
	if err := v.needAPI(); err != nil {
		return "", err
	}
	s, err := v.API.Login(ctx, v.Seed.Email, seedPassword)
	return s.SessionID, err
}

func freshEmail(what string) (string, error) {
	k, err := newKey()
	if err != nil {
		return "", err
	}
	return "invoke-" + what + "-" + k + "@example.com", nil
}

// freshUser signs a new user up and verifies it, for what a user does once (create a
// wallet in a currency, close a wallet); its fresh_wallet_id is an empty wallet of its own.
func (v *Values) freshUser(ctx context.Context, part string) (string, error) {
	if err := v.needAPI(); err != nil {
		return "", err
	}
	id, ok := v.made["fresh_user_id"]
	if !ok {
		email, err := freshEmail("user")
		if err != nil {
			return "", err
		}
		s, uid, err := v.API.VerifiedUser(ctx, email, seedPassword, "Fresh")
		if err != nil {
			return "", err
		}
		id, v.freshToken = uid, s.AccessToken
		v.keep("fresh_user_id", id)
	}
	if part == "fresh_user_id" {
		return id, nil
	}
	w, err := v.API.Create(ctx, "fresh wallet", "/v1/wallets", v.freshToken, "", map[string]string{"currency": seedCurrency})
	return w.ID, err
}

// unverified signs a new address up and reads the verification code it was sent.
func (v *Values) unverified(ctx context.Context, part string) (string, error) {
	if err := v.needAPI(); err != nil {
		return "", err
	}
	email, err := freshEmail("verify")
	if err != nil {
		return "", err
	}
	if err := v.API.Signup(ctx, email, seedPassword, "Vera"); err != nil {
		return "", err
	}
	code, err := v.API.Code(ctx, email)
	if err != nil {
		return "", err
	}
	v.keep("unverified_email", email)
	v.keep("verification_code", code)
	return v.made[part], nil
}

// reset signs a new user up (so the seed's password never changes), asks for a password
// reset and reads the code it was sent.
func (v *Values) reset(ctx context.Context, part string) (string, error) {
	if err := v.needAPI(); err != nil {
		return "", err
	}
	email, err := freshEmail("reset")
	if err != nil {
		return "", err
	}
	if _, _, err := v.API.VerifiedUser(ctx, email, seedPassword, "Rhea"); err != nil {
		return "", err
	}
	before, err := v.API.Mail.Messages(ctx, email)
	if err != nil {
		return "", err
	}
	if err := v.API.call(ctx, "password reset "+email, "POST", "/v1/auth/password-reset", "", "",
		map[string]string{"email": email}, http.StatusAccepted, nil); err != nil {
		return "", err
	}
	deadline := time.Now().Add(resetMailWait)
	for {
		ms, err := v.API.Mail.Messages(ctx, email)
		if err != nil {
			return "", err
		}
		if len(ms) > len(before) && ms[len(ms)-1].Code() != "" {
			v.keep("reset_email", email)
			v.keep("reset_code", ms[len(ms)-1].Code())
			return v.made[part], nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no reset code reached %s within %s", email, resetMailWait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// paymentRequestMinor is what the other user asks the seed's user for, per invoke.
const paymentRequestMinor = 100

// paymentRequest is a PENDING payment request made for this invoke: the seed's other user
// asks the seed's user for paymentRequestMinor (the seed's user pays or declines it; the
// other user, its payee, cancels it).
func (v *Values) paymentRequest(ctx context.Context) (string, error) {
	if err := v.needAPI(); err != nil {
		return "", err
	}
	other, err := v.API.Login(ctx, v.Seed.OtherEmail, seedPassword)
	if err != nil {
		return "", err
	}
	r, err := v.API.Create(ctx, "payment request", "/v1/payment-requests", other.AccessToken, uuid.NewString(),
		map[string]any{"to": map[string]string{"email": v.Seed.Email}, "amount": paymentRequestMinor, "currency": seedCurrency, "note": "make invoke"})
	if err != nil {
		return "", err
	}
	return r.ID, nil
}
