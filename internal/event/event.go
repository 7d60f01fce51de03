// Package event defines the wallet events that follow a committed change, and the
// Lambda adapters around them: the publisher fed by the ledger table's DynamoDB stream,
// and the SQS consumer loop with partial batch failures.
//
// An event exists if and only if its change committed: events are derived from the
// stream of committed item changes, never written beside them. Stream records are
// delivered at least once, so an event's id is derived from the change itself
// (transfer:<id>:<status>, credit:<posting id>, …) and consumers deduplicate on it.
package event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event types.
const (
	TransferCompleted   = "transfer.completed"
	TransferFailed      = "transfer.failed"
	TransferHeld        = "transfer.held"
	TransferReleased    = "transfer.released"
	TransferNeedsReview = "transfer.needs_review"
	CreditCompleted     = "credit.completed"
	RewardRedeemed      = "reward.redeemed"
)

// Event is one fact, as published to the wallet events topic.
type Event struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Payload Payload   `json:"payload"`
}

// Payload carries the ids and amounts of an event; fields that do not apply are empty.
type Payload struct {
	TransferID          string `json:"transfer_id,omitempty"`
	PostingID           string `json:"posting_id,omitempty"`
	Mode                string `json:"mode,omitempty"`
	Status              string `json:"status,omitempty"`
	FailureReason       string `json:"failure_reason,omitempty"`
	AmountMinor         int64  `json:"amount"`
	Currency            string `json:"currency"`
	WalletID            string `json:"wallet_id,omitempty"`
	OwnerID             string `json:"owner_id,omitempty"`
	SourceWalletID      string `json:"source_wallet_id,omitempty"`
	DestinationWalletID string `json:"destination_wallet_id,omitempty"`
	SourceOwnerID       string `json:"source_owner_id,omitempty"`
	DestinationOwnerID  string `json:"destination_owner_id,omitempty"`
}

// Validate checks the fields every consumer relies on.
func (e Event) Validate() error {
	if e.ID == "" || e.Type == "" || e.Time.IsZero() {
		return errors.New("event: id, type and time are required")
	}
	return nil
}

// Bus publishes events.
type Bus interface {
	Publish(ctx context.Context, es []Event) error
}

// Decoder turns one stream record into the events it implies (often none).
type Decoder func(rec events.DynamoDBEventRecord) ([]Event, error)

// PublishFromStream is the stream-triggered publisher: it publishes each record's
// events and reports the first failed record, so Lambda retries from there (records
// of one shard stay in order; a retried record may publish again, which consumers
// absorb by event id).
func PublishFromStream(log *slog.Logger, decode Decoder, bus Bus) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, rec := range ev.Records {
			es, err := decode(rec)
			if err == nil && len(es) > 0 {
				err = bus.Publish(ctx, es)
			}
			if err != nil {
				log.ErrorContext(ctx, "publish failed", slog.String("event_id", rec.EventID), slog.String("error", err.Error()))
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
				return resp, nil
			}
			for _, e := range es {
				log.InfoContext(ctx, "event published", slog.String("event_id", e.ID), slog.String("type", e.Type))
			}
		}
		return resp, nil
	}
}

// Handler consumes one event; it must be idempotent by event id.
type Handler func(ctx context.Context, e Event) error

// ConsumeSQS adapts a Handler to an SQS batch with partial batch failures: a message
// that cannot be parsed or handled is reported and redelivered (and, after the
// queue's maxReceiveCount, moved to its dead-letter queue); the others are deleted.
func ConsumeSQS(log *slog.Logger, handle Handler) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		// A nil slice marshals to null; always send a list (see localstack/MINISTACK_GAPS.md).
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, m := range ev.Records {
			var e Event
			err := json.Unmarshal([]byte(m.Body), &e)
			if err == nil {
				err = e.Validate()
			}
			if err != nil {
				err = fmt.Errorf("malformed event: %w", err)
			} else {
				err = handle(ctx, e)
			}
			if err != nil {
				log.WarnContext(ctx, "event not handled", slog.String("message_id", m.MessageId), slog.String("event_id", e.ID),
					slog.String("type", e.Type), slog.String("error", err.Error()))
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				continue
			}
			log.InfoContext(ctx, "event handled", slog.String("event_id", e.ID), slog.String("type", e.Type))
		}
		return resp, nil
	}
}
