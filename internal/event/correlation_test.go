package event_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/metrics"
)

// TestConsumersLogTheTransferID checks that every consumer's line about a transfer's
// event names the transfer (the id one transfer's story is found by), handled or not,
// and that a failure is counted for its consumer.
func TestConsumersLogTheTransferID(t *testing.T) {
	const id = "0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b"
	body, err := json.Marshal(event.Event{ID: "transfer:" + id + ":COMPLETED", Type: event.TransferCompleted,
		Time: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), Payload: event.Payload{TransferID: id}})
	require.NoError(t, err)
	tests := []struct {
		name      string
		handleErr error
		wantMsg   string
	}{
		{"handled", nil, "message handled"},
		{"failed", errors.New("store down"), "message not handled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs, emf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			m := &metrics.Emitter{Namespace: "Wallet/test", Out: &emf}
			handle := func(context.Context, event.Event) error { return tt.handleErr }
			_, err := event.ConsumeSQS(log, m, event.ConsumerRewards, handle)(context.Background(),
				events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: string(body)}}})
			require.NoError(t, err)
			var line map[string]any
			require.NoError(t, json.Unmarshal(logs.Bytes(), &line), "one JSON line: %s", logs.String())
			assert.Equal(t, tt.wantMsg, line["msg"])
			assert.Equal(t, id, line["transfer_id"])
			assert.Equal(t, event.ConsumerRewards, line["consumer"])
			assert.Equal(t, "m-1", line["message_id"])
			if tt.handleErr == nil {
				assert.Empty(t, emf.String(), "a success counts no failure")
				return
			}
			assert.True(t, strings.Contains(emf.String(), `"Consumer":"earnrewards"`), "the failure is counted: %s", emf.String())
		})
	}
}
