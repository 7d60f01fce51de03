package snsbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/notification"
	"github.com/serverless-wallet/wallet/internal/snsbus"
)

const topic = "arn:aws:sns:us-east-1:123456789012:wallet-events"

// fakeSNS records its calls; failBatch (1-based) answers that PublishBatch call with
// its first entry failed; batchErr fails every PublishBatch call.
type fakeSNS struct {
	mu        sync.Mutex
	failBatch int
	batchErr  error
	batches   []*sns.PublishBatchInput
}

func (f *fakeSNS) PublishBatch(_ context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, in)
	if f.batchErr != nil {
		return nil, f.batchErr
	}
	out := &sns.PublishBatchOutput{}
	for i, e := range in.PublishBatchRequestEntries {
		if len(f.batches) == f.failBatch && i == 0 {
			out.Failed = append(out.Failed, snstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"),
				Message: aws.String("try again"), SenderFault: false})
			continue
		}
		out.Successful = append(out.Successful, snstypes.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String(fmt.Sprintf("msg-%d", i))})
	}
	return out, nil
}

var _ snsbus.API = (*fakeSNS)(nil)

// manyEvents builds n events cycling through the sample events' types.
func manyEvents(t *testing.T, n int) []event.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "event.json"))
	require.NoError(t, err)
	var base event.Event
	require.NoError(t, json.Unmarshal(b, &base))
	types := []string{event.TransferCompleted, event.CreditCompleted, event.TransferFailed, event.RewardRedeemed, event.TransferHeld}
	es := make([]event.Event, n)
	for i := range es {
		e := base
		e.ID = fmt.Sprintf("%s:%d", base.ID, i)
		e.Type = types[i%len(types)]
		e.Time = base.Time.Add(time.Duration(i) * time.Millisecond)
		e.Payload.AmountMinor = base.Payload.AmountMinor + int64(i)
		es[i] = e
	}
	return es
}

func TestPublishBatches(t *testing.T) {
	tests := []struct {
		events    int
		wantSizes []int
	}{
		{0, nil},
		{1, []int{1}},
		{10, []int{10}},
		{11, []int{10, 1}},
		{23, []int{10, 10, 3}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.events), func(t *testing.T) {
			api := &fakeSNS{}
			bus := &snsbus.Bus{SNS: api, TopicArn: topic}
			es := manyEvents(t, tt.events)
			require.NoError(t, bus.Publish(context.Background(), es))

			var sizes []int
			var got []event.Event
			for _, in := range api.batches {
				sizes = append(sizes, len(in.PublishBatchRequestEntries))
				assert.Equal(t, topic, aws.ToString(in.TopicArn))
				ids := map[string]bool{}
				for _, entry := range in.PublishBatchRequestEntries {
					id := aws.ToString(entry.Id)
					assert.NotEmpty(t, id)
					assert.False(t, ids[id], "entry ids must be unique within a batch: %s", id)
					ids[id] = true

					var e event.Event
					require.NoError(t, json.Unmarshal([]byte(aws.ToString(entry.Message)), &e))
					got = append(got, e)
					attr, ok := entry.MessageAttributes["type"]
					require.True(t, ok, "queue subscriptions filter on the type attribute")
					assert.Equal(t, "String", aws.ToString(attr.DataType))
					assert.Equal(t, e.Type, aws.ToString(attr.StringValue))
				}
			}
			assert.Equal(t, tt.wantSizes, sizes)
			if tt.events == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, es, got, "every event, in order, round-trips through its message body")
		})
	}
}

func TestPublishMessageBody(t *testing.T) {
	api := &fakeSNS{}
	bus := &snsbus.Bus{SNS: api, TopicArn: topic}
	es := manyEvents(t, 1)
	require.NoError(t, bus.Publish(context.Background(), es))
	require.Len(t, api.batches, 1)
	body := aws.ToString(api.batches[0].PublishBatchRequestEntries[0].Message)
	assert.JSONEq(t, `{"id":"transfer:t-1:completed:0","type":"transfer.completed","time":"2026-01-01T00:00:02.5Z",
		"payload":{"transfer_id":"t-1","mode":"immediate","status":"COMPLETED","amount":12345,"currency":"USD",
		"source_wallet_id":"w-a","destination_wallet_id":"w-b","source_owner_id":"u-payer","destination_owner_id":"u-payee"}}`, body)
}

func TestPublishFailures(t *testing.T) {
	boom := errors.New("sns: throttled")
	tests := []struct {
		name        string
		failBatch   int
		batchErr    error
		wantErr     error
		wantBatches int
	}{
		{name: "failed entry in the first batch stops there", failBatch: 1, wantBatches: 1},
		{name: "failed entry in the last batch", failBatch: 3, wantBatches: 3},
		{name: "call error", batchErr: boom, wantErr: boom, wantBatches: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSNS{failBatch: tt.failBatch, batchErr: tt.batchErr}
			bus := &snsbus.Bus{SNS: api, TopicArn: topic}
			err := bus.Publish(context.Background(), manyEvents(t, 23))
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.Contains(t, err.Error(), "try again", "the first failure's message helps the operator")
			}
			assert.Len(t, api.batches, tt.wantBatches)
		})
	}
}

func TestPublishTexts(t *testing.T) {
	texts := func(n int) []notification.Text {
		out := make([]notification.Text, n)
		for i := range out {
			out[i] = notification.Text{Message: fmt.Sprintf("You sent %d.00 USD.", i+1),
				Attributes: map[string]string{"user_id": fmt.Sprintf("u-%d", i), "type": event.TransferCompleted}}
		}
		return out
	}
	tests := []struct {
		name      string
		texts     int
		wantSizes []int
	}{
		{"none: no request", 0, nil},
		{"an event's two parties: one request", 2, []int{2}},
		{"eleven: two requests", 11, []int{10, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSNS{}
			want := texts(tt.texts)
			require.NoError(t, (&snsbus.Bus{SNS: api, TopicArn: topic}).PublishTexts(context.Background(), want))
			var sizes []int
			var got []notification.Text
			for _, in := range api.batches {
				sizes = append(sizes, len(in.PublishBatchRequestEntries))
				assert.Equal(t, topic, aws.ToString(in.TopicArn))
				for i, entry := range in.PublishBatchRequestEntries {
					assert.Equal(t, fmt.Sprintf("e%d", i), aws.ToString(entry.Id))
					attrs := map[string]string{}
					for k, v := range entry.MessageAttributes {
						assert.Equal(t, "String", aws.ToString(v.DataType))
						attrs[k] = aws.ToString(v.StringValue)
					}
					got = append(got, notification.Text{Message: aws.ToString(entry.Message), Attributes: attrs})
				}
			}
			assert.Equal(t, tt.wantSizes, sizes)
			if tt.texts > 0 {
				assert.Equal(t, want, got, "every text, in order, with its attributes")
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		boom := errors.New("sns: down")
		err := (&snsbus.Bus{SNS: &fakeSNS{batchErr: boom}, TopicArn: topic}).PublishTexts(context.Background(), texts(2))
		assert.ErrorIs(t, err, boom)
	})
	t.Run("a failed entry fails the call", func(t *testing.T) {
		err := (&snsbus.Bus{SNS: &fakeSNS{failBatch: 1}, TopicArn: topic}).PublishTexts(context.Background(), texts(2))
		assert.ErrorContains(t, err, "try again")
	})
}

func TestMeteredPublishBatch(t *testing.T) {
	big := strings.Repeat("x", 70*1024)
	tests := []struct {
		name         string
		messages     []string
		wantRequests int
	}{
		{"two small messages: one request", []string{"You sent 1.00 USD.", "You received 1.00 USD."}, 1},
		{"a message over 64 KB: two", []string{big}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			api := &fakeSNS{}
			m := &snsbus.Metered{API: api, Log: slog.New(slog.NewTextHandler(&buf, nil))}
			texts := make([]notification.Text, len(tt.messages))
			for i, msg := range tt.messages {
				texts[i] = notification.Text{Message: msg, Attributes: map[string]string{"type": event.TransferCompleted}}
			}
			require.NoError(t, (&snsbus.Bus{SNS: m, TopicArn: topic}).PublishTexts(context.Background(), texts))
			assert.Len(t, api.batches, 1, "the wrapped client is called")
			assert.Contains(t, buf.String(), fmt.Sprintf("msg=sns_usage op=PublishBatch requests=%d messages=%d", tt.wantRequests, len(tt.messages)))
		})
	}
}
