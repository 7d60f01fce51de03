package notification_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/problem"
)

func sampleEvents(t *testing.T) map[string]event.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events.json"))
	require.NoError(t, err)
	var es map[string]event.Event
	require.NoError(t, json.Unmarshal(b, &es))
	return es
}

func sample(t *testing.T, name string) event.Event {
	t.Helper()
	e, ok := sampleEvents(t)[name]
	require.True(t, ok, "no sample event %q", name)
	return e
}

type note struct{ user, typ, msg string }

func TestFor(t *testing.T) {
	tests := []struct {
		event string
		want  []note
	}{
		{"completed", []note{
			{"u-payer", event.TransferCompleted, "You sent 123.45 USD."},
			{"u-payee", event.TransferCompleted, "You received 123.45 USD."},
		}},
		{"refund", []note{ // from the payee back to the payer
			{"u-payee", event.TransferCompleted, "You refunded 20.00 USD."},
			{"u-payer", event.TransferCompleted, "You were refunded 20.00 USD."},
		}},
		{"completed-self", []note{ // between one's own wallets: one notification, JPY has no minor digits
			{"u-payer", event.TransferCompleted, "You sent 500 JPY."},
		}},
		{"failed", []note{
			{"u-payer", event.TransferFailed, "Your transfer of 0.05 USD failed (insufficient_funds); no money moved."},
		}},
		{"released", []note{
			{"u-payer", event.TransferReleased, "Your hold of 1.000 KWD was released."},
		}},
		{"credit", []note{
			{"u-owner", event.CreditCompleted, "Your wallet was credited 25.00 EUR."},
		}},
		{"withdrawal", []note{
			{"u-owner", event.WithdrawalCompleted, "You withdrew 15.00 EUR."},
		}},
		{"request-expired", []note{ // the payer found by the address (see findPayer)
			{"u-payee", event.PaymentRequestExpired, "Your request of 7.00 USD to ann@example.com expired."},
			{"u-payer", event.PaymentRequestExpired, "A request of 7.00 USD to you expired."},
		}},
		{"held", nil},
		{"needs-review", nil},
		{"reward", nil},
		{"unknown", nil},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			e := sample(t, tt.event)
			ns := notification.For(e)
			got := make([]note, 0, len(ns))
			for _, n := range ns {
				got = append(got, note{n.UserID, n.Type, n.Message})
				assert.Equal(t, notification.IDFor(e, n.UserID), n.ID)
				assert.Equal(t, e.Payload.TransferID, n.TransferID)
				assert.True(t, n.CreatedAt.Equal(e.Time))
				assert.False(t, n.Read)
			}
			if tt.want == nil {
				assert.Empty(t, ns)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestIDFor(t *testing.T) {
	e := sample(t, "completed")
	other := sample(t, "failed")
	later := e
	later.Time = e.Time.Add(time.Second)

	id := notification.IDFor(e, "u-payer")
	assert.Equal(t, id, notification.IDFor(e, "u-payer"), "stable for the same event and user")
	assert.NotEqual(t, id, notification.IDFor(e, "u-payee"), "distinct per recipient")
	assert.NotEqual(t, id, notification.IDFor(other, "u-payer"), "distinct per event")
	assert.True(t, strings.HasPrefix(id, "1767225602500-"), "ordered by the event's time in ms: %s", id)
	assert.Less(t, id, notification.IDFor(later, "u-payer"), "a later event sorts after")
	assert.LessOrEqual(t, len(id), 64, "MarkRead refuses ids over 64 bytes")
}

// fakeStore is a notification.Store in memory; it writes its calls to a log shared
// with the pusher, so tests can check the order of store and push.
type fakeStore struct {
	mu         sync.Mutex
	log        *[]string
	exists     map[string]bool // by user
	existsErr  error
	addErr     error
	added      []notification.Notification
	listArgs   []int
	listItems  []notification.Notification
	listNext   string
	listUnread int64
	listErr    error
	readIDs    []string
	readErrs   []error // answered by MarkRead, one per call, before it succeeds
}

func (s *fakeStore) record(line string) {
	if s.log != nil {
		*s.log = append(*s.log, line)
	}
}

func (s *fakeStore) Exists(_ context.Context, n notification.Notification) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("exists " + n.UserID)
	if s.existsErr != nil {
		return false, s.existsErr
	}
	return s.exists[n.UserID], nil
}

func (s *fakeStore) Add(_ context.Context, n notification.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("add " + n.UserID)
	if s.addErr != nil {
		return s.addErr
	}
	s.added = append(s.added, n)
	return nil
}

func (s *fakeStore) List(_ context.Context, _ string, limit int, _ string) ([]notification.Notification, string, int64, error) {
	s.listArgs = append(s.listArgs, limit)
	return s.listItems, s.listNext, s.listUnread, s.listErr
}

func (s *fakeStore) MarkRead(_ context.Context, _ string, id string) error {
	s.readIDs = append(s.readIDs, id)
	if len(s.readErrs) > 0 {
		err := s.readErrs[0]
		s.readErrs = s.readErrs[1:]
		return err
	}
	return nil
}

func (s *fakeStore) MarkAllRead(context.Context, string, time.Time) error { return nil }

var _ notification.Store = (*fakeStore)(nil)

type push struct {
	msg   string
	attrs map[string]string
}

type fakePusher struct {
	log    *[]string
	err    error
	pushes []push
}

// PublishTexts logs one "push" line per request, naming its recipients.
func (p *fakePusher) PublishTexts(_ context.Context, texts []notification.Text) error {
	users := make([]string, len(texts))
	for i, t := range texts {
		users[i] = t.Attributes["user_id"]
	}
	if p.log != nil {
		*p.log = append(*p.log, "push "+strings.Join(users, ","))
	}
	if p.err != nil {
		return p.err
	}
	for _, t := range texts {
		p.pushes = append(p.pushes, push{t.Message, t.Attributes})
	}
	return nil
}

func TestHandle(t *testing.T) {
	errStore := errors.New("dynamodb: throttled")
	errPush := errors.New("sns: unavailable")
	tests := []struct {
		name       string
		event      string
		exists     map[string]bool
		existsErr  error
		addErr     error
		pushErr    error
		wantErr    error // errors.Is
		wantAnyErr bool
		wantLog    []string
		wantPushed []push
		wantAdded  []string // user ids
	}{
		{
			name: "both parties: pushed in one request, then stored", event: "completed",
			wantLog: []string{"exists u-payer", "exists u-payee", "push u-payer,u-payee", "add u-payer", "add u-payee"},
			wantPushed: []push{
				{"You sent 123.45 USD.", map[string]string{"user_id": "u-payer", "type": event.TransferCompleted}},
				{"You received 123.45 USD.", map[string]string{"user_id": "u-payee", "type": event.TransferCompleted}},
			},
			wantAdded: []string{"u-payer", "u-payee"},
		},
		{
			name: "redelivered: nothing pushed, nothing stored", event: "completed",
			exists:  map[string]bool{"u-payer": true, "u-payee": true},
			wantLog: []string{"exists u-payer", "exists u-payee"},
		},
		{
			name: "redelivered after a failure half way: only the payee", event: "completed",
			exists:     map[string]bool{"u-payer": true},
			wantLog:    []string{"exists u-payer", "exists u-payee", "push u-payee", "add u-payee"},
			wantPushed: []push{{"You received 123.45 USD.", map[string]string{"user_id": "u-payee", "type": event.TransferCompleted}}},
			wantAdded:  []string{"u-payee"},
		},
		{
			name: "push failure is returned and nothing stored, so redelivery pushes again", event: "credit",
			pushErr: errPush, wantErr: errPush,
			wantLog: []string{"exists u-owner", "push u-owner"},
		},
		{
			name: "store failure is returned before any push", event: "credit",
			existsErr: errStore, wantErr: errStore,
			wantLog: []string{"exists u-owner"},
		},
		{
			name: "add failure is returned", event: "credit",
			addErr: errStore, wantErr: errStore,
			wantLog:    []string{"exists u-owner", "push u-owner", "add u-owner"},
			wantPushed: []push{{"Your wallet was credited 25.00 EUR.", map[string]string{"user_id": "u-owner", "type": event.CreditCompleted}}},
		},
		{
			name: "credit without owner", event: "credit-no-owner",
			wantAnyErr: true,
		},
		{
			name: "completed without payee: the payer is told, the event fails", event: "completed-no-payee",
			wantAnyErr: true,
			wantLog:    []string{"exists u-payer", "push u-payer", "add u-payer"},
			wantPushed: []push{{"You sent 1.00 USD.", map[string]string{"user_id": "u-payer", "type": event.TransferCompleted}}},
			wantAdded:  []string{"u-payer"},
		},
		{name: "event without notifications", event: "held"},
		{name: "unknown event type", event: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sample(t, tt.event)
			var log []string
			store := &fakeStore{log: &log, exists: tt.exists, existsErr: tt.existsErr, addErr: tt.addErr}
			pusher := &fakePusher{log: &log, err: tt.pushErr}
			svc := &notification.Service{Store: store, Push: pusher}

			err := svc.Handle(context.Background(), e)
			switch {
			case tt.wantErr != nil:
				assert.ErrorIs(t, err, tt.wantErr)
			case tt.wantAnyErr:
				assert.Error(t, err)
			default:
				assert.NoError(t, err)
			}

			assert.Equal(t, tt.wantLog, log)
			assert.Equal(t, tt.wantPushed, pusher.pushes)
			var added []string
			for _, n := range store.added {
				added = append(added, n.UserID)
				assert.Equal(t, notification.IDFor(e, n.UserID), n.ID, "a redelivered event must land on the same item")
			}
			assert.Equal(t, tt.wantAdded, added)
		})
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		wantLimit bool // passed to the store
	}{
		{"zero", 0, false},
		{"negative", -1, false},
		{"one past the max", notification.PageSizeMax + 1, false},
		{"huge", 1 << 30, false},
		{"one", 1, true},
		{"default", notification.PageSizeDefault, true},
		{"max", notification.PageSizeMax, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{}
			svc := &notification.Service{Store: store, Push: &fakePusher{}}
			p, err := svc.List(context.Background(), "u-1", tt.limit, "")
			if !tt.wantLimit {
				pe, ok := problem.As(err)
				require.True(t, ok, "err = %v", err)
				assert.Equal(t, problem.KindInvalid, pe.Kind)
				assert.Equal(t, "invalid_limit", pe.Code)
				assert.Empty(t, store.listArgs, "an invalid limit must not reach the store")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []int{tt.limit}, store.listArgs)
			assert.NotNil(t, p.Items)
		})
	}
}

func TestListPage(t *testing.T) {
	t.Run("empty page marshals items as a list and cursor as null", func(t *testing.T) {
		svc := &notification.Service{Store: &fakeStore{listUnread: 3}}
		p, err := svc.List(context.Background(), "u-1", 10, "")
		require.NoError(t, err)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		assert.JSONEq(t, `{"items":[],"next_cursor":null,"unread_count":3}`, string(b))
	})
	t.Run("next cursor and items pass through", func(t *testing.T) {
		items := []notification.Notification{{ID: "n-1", UserID: "u-1", Type: event.CreditCompleted, Message: "m"}}
		svc := &notification.Service{Store: &fakeStore{listItems: items, listNext: "c2"}}
		p, err := svc.List(context.Background(), "u-1", 1, "c1")
		require.NoError(t, err)
		require.NotNil(t, p.NextCursor)
		assert.Equal(t, "c2", *p.NextCursor)
		assert.Equal(t, items, p.Items)
		b, err := json.Marshal(p.Items[0])
		require.NoError(t, err)
		assert.NotContains(t, string(b), "u-1", "the user id is not part of the API answer")
	})
	t.Run("store error", func(t *testing.T) {
		boom := errors.New("boom")
		svc := &notification.Service{Store: &fakeStore{listErr: boom}}
		_, err := svc.List(context.Background(), "u-1", 10, "")
		assert.ErrorIs(t, err, boom)
	})
}

func TestMarkRead(t *testing.T) {
	id := notification.IDFor(event.Event{ID: "e", Time: time.Unix(1, 0)}, "u-1")
	boom := errors.New("dynamodb: unavailable")
	tests := []struct {
		name      string
		id        string
		storeErrs []error
		wantCalls int
		wantErr   error
	}{
		{name: "normal id", id: id, wantCalls: 1},
		{name: "64 bytes", id: strings.Repeat("a", 64), wantCalls: 1},
		{name: "65 bytes", id: strings.Repeat("a", 65), wantErr: problem.ErrNotFound},
		{name: "a store failure is not", id: id, storeErrs: []error{boom}, wantCalls: 1, wantErr: boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{readErrs: tt.storeErrs}
			svc := &notification.Service{Store: store}
			err := svc.MarkRead(context.Background(), "u-1", tt.id)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Len(t, store.readIDs, tt.wantCalls)
		})
	}
}
