package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func load(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// fakeBus records what it published, and fails any batch holding an event in failOn.
type fakeBus struct {
	mu        sync.Mutex
	failOn    map[string]bool
	attempts  int
	published [][]event.Event
}

func (b *fakeBus) Publish(_ context.Context, es []event.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts++
	for _, e := range es {
		if b.failOn[e.ID] {
			return errors.New("sns: throttled")
		}
	}
	b.published = append(b.published, append([]event.Event(nil), es...))
	return nil
}

// fakeDecoder answers by stream event id; an id in fail returns an error.
type fakeDecoder struct {
	out     map[string][]event.Event
	fail    map[string]bool
	decoded []string
}

func (d *fakeDecoder) decode(rec events.DynamoDBEventRecord) ([]event.Event, error) {
	d.decoded = append(d.decoded, rec.EventID)
	if d.fail[rec.EventID] {
		return nil, errors.New("decode: bad image")
	}
	return d.out[rec.EventID], nil
}

func ev(id, typ string) event.Event {
	return event.Event{ID: id, Type: typ, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func TestPublishFromStream(t *testing.T) {
	e1 := ev("transfer:t-1:completed", event.TransferCompleted)
	e2 := ev("credit:p-1", event.CreditCompleted)
	e4a := ev("transfer:t-2:failed", event.TransferFailed)
	e4b := ev("transfer:t-2:extra", event.TransferFailed)
	out := map[string][]event.Event{"rec-1": {e1}, "rec-2": {e2}, "rec-3": nil, "rec-4": {e4a, e4b}}

	tests := []struct {
		name          string
		decodeFail    map[string]bool
		busFail       map[string]bool
		wantFailures  []string // sequence numbers
		wantPublished [][]event.Event
		wantDecoded   []string
		wantAttempts  int
	}{
		{
			name:          "all published in order, nothing published for a record without events",
			wantFailures:  []string{},
			wantPublished: [][]event.Event{{e1}, {e2}, {e4a, e4b}},
			wantDecoded:   []string{"rec-1", "rec-2", "rec-3", "rec-4"},
			wantAttempts:  3,
		},
		{
			name:          "decode failure stops the batch at that record",
			decodeFail:    map[string]bool{"rec-2": true},
			wantFailures:  []string{"100000000000000000002"},
			wantPublished: [][]event.Event{{e1}},
			wantDecoded:   []string{"rec-1", "rec-2"},
			wantAttempts:  1,
		},
		{
			name:          "publish failure of the last record",
			busFail:       map[string]bool{e4b.ID: true},
			wantFailures:  []string{"100000000000000000004"},
			wantPublished: [][]event.Event{{e1}, {e2}},
			wantDecoded:   []string{"rec-1", "rec-2", "rec-3", "rec-4"},
			wantAttempts:  3,
		},
		{
			name:          "publish failure of the first record publishes nothing after it",
			busFail:       map[string]bool{e1.ID: true},
			wantFailures:  []string{"100000000000000000001"},
			wantPublished: nil,
			wantDecoded:   []string{"rec-1"},
			wantAttempts:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in events.DynamoDBEvent
			load(t, "stream-event.json", &in)
			dec := &fakeDecoder{out: out, fail: tt.decodeFail}
			bus := &fakeBus{failOn: tt.busFail}

			resp, err := event.PublishFromStream(quiet, nil, dec.decode, bus)(context.Background(), in)
			require.NoError(t, err, "a failed record is reported, not returned as a Lambda error")

			require.NotNil(t, resp.BatchItemFailures)
			got := make([]string, 0, len(resp.BatchItemFailures))
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			assert.Equal(t, tt.wantFailures, got)
			assert.Equal(t, tt.wantPublished, bus.published)
			assert.Equal(t, tt.wantDecoded, dec.decoded)
			assert.Equal(t, tt.wantAttempts, bus.attempts)
		})
	}
}

func TestPublishFromStreamEmptyFailuresMarshalAsList(t *testing.T) {
	for _, name := range []string{"records", "no records"} {
		t.Run(name, func(t *testing.T) {
			var in events.DynamoDBEvent
			if name == "records" {
				load(t, "stream-event.json", &in)
			}
			dec := &fakeDecoder{out: map[string][]event.Event{"rec-1": {ev("credit:p-1", event.CreditCompleted)}}}
			resp, err := event.PublishFromStream(quiet, nil, dec.decode, &fakeBus{})(context.Background(), in)
			require.NoError(t, err)
			b, err := json.Marshal(resp)
			require.NoError(t, err)
			assert.JSONEq(t, `{"batchItemFailures":[]}`, string(b))
		})
	}
}

// recordingHandler records the events it handled and fails those in failOn.
type recordingHandler struct {
	failOn  map[string]bool
	handled []event.Event
}

func (h *recordingHandler) handle(_ context.Context, e event.Event) error {
	if h.failOn[e.ID] {
		return errors.New("store unavailable")
	}
	h.handled = append(h.handled, e)
	return nil
}

func TestConsumeSQS(t *testing.T) {
	var in events.SQSEvent
	load(t, "sqs-event.json", &in)
	h := &recordingHandler{failOn: map[string]bool{"credit:p-boom": true}}

	resp, err := event.ConsumeSQS(quiet, nil, event.ConsumerNotifications, h.handle)(context.Background(), in)
	require.NoError(t, err)

	failed := make([]string, 0, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	assert.Equal(t, []string{"m-not-json", "m-no-id", "m-no-type", "m-no-time", "m-handler-fails", "m-array"}, failed)

	require.Len(t, h.handled, 2, "malformed messages must never reach the handler")
	first := h.handled[0]
	assert.Equal(t, "transfer:t-1:completed", first.ID)
	assert.Equal(t, event.TransferCompleted, first.Type)
	assert.True(t, first.Time.Equal(time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC)))
	assert.Equal(t, event.Payload{TransferID: "t-1", AmountMinor: 12345, Currency: "USD", SourceOwnerID: "u-1", DestinationOwnerID: "u-2"}, first.Payload)
	assert.Equal(t, "credit:p-4", h.handled[1].ID)
	assert.Equal(t, "u-3", h.handled[1].Payload.OwnerID)
}

func TestConsumeSQSEachMessageAlone(t *testing.T) {
	var all events.SQSEvent
	load(t, "sqs-event.json", &all)
	byID := map[string]events.SQSMessage{}
	for _, m := range all.Records {
		byID[m.MessageId] = m
	}
	tests := []struct {
		messageID string
		wantFail  bool
	}{
		{"m-ok", false},
		{"m-ok-2", false},
		{"m-not-json", true},
		{"m-no-id", true},
		{"m-no-type", true},
		{"m-no-time", true},
		{"m-handler-fails", true},
		{"m-array", true},
	}
	for _, tt := range tests {
		t.Run(tt.messageID, func(t *testing.T) {
			m, ok := byID[tt.messageID]
			require.True(t, ok)
			h := &recordingHandler{failOn: map[string]bool{"credit:p-boom": true}}
			resp, err := event.ConsumeSQS(quiet, nil, event.ConsumerNotifications, h.handle)(context.Background(), events.SQSEvent{Records: []events.SQSMessage{m}})
			require.NoError(t, err)
			if tt.wantFail {
				assert.Equal(t, []events.SQSBatchItemFailure{{ItemIdentifier: tt.messageID}}, resp.BatchItemFailures)
				return
			}
			b, err := json.Marshal(resp)
			require.NoError(t, err)
			assert.JSONEq(t, `{"batchItemFailures":[]}`, string(b))
			assert.Len(t, h.handled, 1)
		})
	}
}

func TestConsumeSQSEmptyBatch(t *testing.T) {
	resp, err := event.ConsumeSQS(quiet, nil, event.ConsumerNotifications, (&recordingHandler{}).handle)(context.Background(), events.SQSEvent{})
	require.NoError(t, err)
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	assert.JSONEq(t, `{"batchItemFailures":[]}`, string(b))
}

func TestValidate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		e       event.Event
		wantErr bool
	}{
		{"complete", event.Event{ID: "a", Type: event.CreditCompleted, Time: now}, false},
		{"no id", event.Event{Type: event.CreditCompleted, Time: now}, true},
		{"no type", event.Event{ID: "a", Time: now}, true},
		{"zero time", event.Event{ID: "a", Type: event.CreditCompleted}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			if tt.wantErr {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}
