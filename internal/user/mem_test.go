package user

import (
	"context"
	"regexp"
	"sync"

	"github.com/serverless-wallet/wallet/internal/problem"
)

func (m *memStore) Code(_ context.Context, userID, purpose string) (Code, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.codes[purpose+"#"+userID]
	if !ok {
		return Code{}, problem.ErrNotFound
	}
	return c, nil
}

func (m *memStore) PutCode(_ context.Context, c Code) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.codes[c.Purpose+"#"+c.UserID] = c
	return nil
}

func (m *memStore) SpendAttempt(_ context.Context, c Code) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := c.Purpose + "#" + c.UserID
	cur, ok := m.codes[k]
	if !ok || cur.Hash != c.Hash || cur.AttemptsLeft <= 0 {
		return false, nil
	}
	cur.AttemptsLeft--
	m.codes[k] = cur
	return true, nil
}

func (m *memStore) MarkVerified(_ context.Context, c Code) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := c.Purpose + "#" + c.UserID
	if cur, ok := m.codes[k]; !ok || cur.Hash != c.Hash {
		return ErrInvalidCode
	}
	delete(m.codes, k)
	u := m.byID[c.UserID]
	u.EmailVerified = true
	m.byID[c.UserID] = u
	return nil
}

// sent is one email the outbox took.
type sent struct{ to, subject, text string }

// outbox is a Mailer that keeps what it is given.
type outbox struct {
	mu   sync.Mutex
	mail []sent
}

func (o *outbox) Send(_ context.Context, to, subject, text string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mail = append(o.mail, sent{to, subject, text})
	return nil
}

var codeInText = regexp.MustCompile(`\b(\d{6})\b`)

// last is the latest email to an address, and the code in it ("" when none).
func (o *outbox) last(to string) (sent, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.mail) - 1; i >= 0; i-- {
		if o.mail[i].to == to {
			m := codeInText.FindStringSubmatch(o.mail[i].text)
			if m == nil {
				return o.mail[i], ""
			}
			return o.mail[i], m[1]
		}
	}
	return sent{}, ""
}
