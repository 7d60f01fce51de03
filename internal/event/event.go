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

	"github.com/serverless-wallet/wallet/internal/metrics"
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
	WithdrawalCompleted = "withdrawal.completed"
	// A payment request made, paid, declined, cancelled or expired (see package payrequest).
	PaymentRequestCreated   = "payment_request.created"
	PaymentRequestPaid      = "payment_request.paid"
	PaymentRequestDeclined  = "payment_request.declined"
	PaymentRequestCancelled = "payment_request.cancelled"
	PaymentRequestExpired   = "payment_request.expired"
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
	RefundOf            string `json:"refund_of,omitempty"` // a refund's: the transfer it refunds
	// A payment request's: the request, its address and its asker's verified email (if
	// known). Its payee is DestinationOwnerID, its payer (once someone paid or declined
	// it) SourceOwnerID.
	PaymentRequestID string `json:"payment_request_id,omitempty"`
	ToEmail          string `json:"to_email,omitempty"`
	FromEmail        string `json:"from_email,omitempty"`
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
// absorb by event id). A failed record counts in m as an EventConsumerFailures of
// ConsumerPublisher.
func PublishFromStream(log *slog.Logger, m *metrics.Emitter, decode Decoder, bus Bus) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, rec := range ev.Records {
			es, err := decode(rec)
			if err == nil && len(es) > 0 {
				err = bus.Publish(ctx, es)
			}
			if err != nil {
				log.ErrorContext(ctx, "publish failed", slog.String("record_id", rec.EventID), slog.String("error", err.Error()))
				m.Put(metrics.EventConsumerFailures, 1, []metrics.Dim{metrics.D("Consumer", ConsumerPublisher)})
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
				return resp, nil
			}
			for _, e := range es {
				log.InfoContext(ctx, LogPublished, e.attrs()...)
			}
		}
		return resp, nil
	}
}

// The messages of the lines the publisher and the consumers log for each event or
// message they got through (the cost report counts them).
const (
	LogPublished = "event published"
	LogHandled   = "message handled"
)

// Consumers, as logs and the EventConsumerFailures metric name them.
const (
	ConsumerPublisher     = "publishevents"
	ConsumerNotifications = "notify"
	ConsumerRewards       = "earnrewards"
	ConsumerReview        = "recordreview"
)

// attrs are an event's log fields: its id, its type and, when it is about a transfer,
// the transfer's id, which is how one transfer's whole story is found in the logs.
func (e Event) attrs() []any {
	a := []any{slog.String("event_id", e.ID), slog.String("type", e.Type)}
	if e.Payload.TransferID != "" {
		a = append(a, slog.String("transfer_id", e.Payload.TransferID))
	}
	return a
}

// Handler consumes one event; it must be idempotent by event id.
type Handler func(ctx context.Context, e Event) error

// ConsumeSQS adapts a Handler to an SQS batch of wallet events (see ConsumeQueue).
func ConsumeSQS(log *slog.Logger, m *metrics.Emitter, consumer string, handle Handler) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	decode := func(body []byte) (Event, error) {
		var e Event
		err := json.Unmarshal(body, &e)
		if err == nil {
			err = e.Validate()
		}
		return e, err
	}
	return ConsumeQueue(log, m, consumer, decode, handle, Event.attrs)
}

// ConsumeQueue adapts a handler of one message to an SQS batch with partial batch
// failures: a message that cannot be decoded or handled is reported (logged, and
// counted in m as an EventConsumerFailures of consumer) and redelivered (and, after the
// queue's maxReceiveCount, moved to its dead-letter queue); the others are deleted.
// Each message logs one line with attrs.
func ConsumeQueue[T any](log *slog.Logger, m *metrics.Emitter, consumer string, decode func([]byte) (T, error),
	handle func(context.Context, T) error, attrs func(T) []any) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		// A nil slice marshals to null; always send a list (see localstack/MINISTACK_GAPS.md).
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, msg := range ev.Records {
			v, err := decode([]byte(msg.Body))
			if err != nil {
				err = fmt.Errorf("malformed message: %w", err)
			} else {
				err = handle(ctx, v)
			}
			fields := append([]any{slog.String("consumer", consumer), slog.String("message_id", msg.MessageId)}, attrs(v)...)
			if err != nil {
				log.WarnContext(ctx, "message not handled", append(fields, slog.String("error", err.Error()))...)
				m.Put(metrics.EventConsumerFailures, 1, []metrics.Dim{metrics.D("Consumer", consumer)})
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				continue
			}
			log.InfoContext(ctx, LogHandled, fields...)
		}
		return resp, nil
	}
}
