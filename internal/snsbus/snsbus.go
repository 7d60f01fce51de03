// Package snsbus publishes events to an SNS topic, with the event type as a message
// attribute so that queue subscriptions can filter on it.
package snsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/serverless-wallet/wallet/internal/event"
	"github.com/serverless-wallet/wallet/internal/notification"
)

// API is the part of SNS the bus calls.
type API interface {
	PublishBatch(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

var (
	_ API                 = (*sns.Client)(nil)
	_ event.Bus           = (*Bus)(nil)
	_ notification.Pusher = (*Bus)(nil)
)

// publishBatchMax is SNS's limit of messages per PublishBatch.
const publishBatchMax = 10

// Bus publishes to one topic.
type Bus struct {
	SNS      API
	TopicArn string
}

// Publish sends the events in batches of up to ten; any failed entry fails the call,
// and the caller retries (consumers deduplicate by event id).
func (b *Bus) Publish(ctx context.Context, es []event.Event) error {
	entries := make([]snstypes.PublishBatchRequestEntry, 0, len(es))
	for _, e := range es {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		entries = append(entries, entry(string(body), map[string]string{"type": e.Type}))
	}
	return b.publishBatches(ctx, "events", entries)
}

// PublishTexts sends user notifications (a message and the string attributes the
// subscriptions filter on) in batches of up to ten: an event's notifications are one
// request.
func (b *Bus) PublishTexts(ctx context.Context, texts []notification.Text) error {
	entries := make([]snstypes.PublishBatchRequestEntry, 0, len(texts))
	for _, t := range texts {
		entries = append(entries, entry(t.Message, t.Attributes))
	}
	return b.publishBatches(ctx, "notifications", entries)
}

func entry(message string, attrs map[string]string) snstypes.PublishBatchRequestEntry {
	ma := make(map[string]snstypes.MessageAttributeValue, len(attrs))
	for k, v := range attrs {
		ma[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return snstypes.PublishBatchRequestEntry{Message: aws.String(message), MessageAttributes: ma}
}

// publishBatches sends entries in PublishBatch requests of up to ten (ids e0…e9 within
// each); any failed entry fails the call.
func (b *Bus) publishBatches(ctx context.Context, what string, entries []snstypes.PublishBatchRequestEntry) error {
	for start := 0; start < len(entries); start += publishBatchMax {
		batch := entries[start:min(start+publishBatchMax, len(entries))]
		for i := range batch {
			batch[i].Id = aws.String(fmt.Sprintf("e%d", i))
		}
		out, err := b.SNS.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(b.TopicArn), PublishBatchRequestEntries: batch})
		if err != nil {
			return fmt.Errorf("publish %s: %w", what, err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("publish %s: %d of %d failed, first: %s", what, len(out.Failed), len(batch), aws.ToString(out.Failed[0].Message))
		}
	}
	return nil
}

// Metered wraps the SNS client of a deployment that measures cost (the METER_DYNAMODB
// setting, refused in prod) and logs, per PublishBatch, the requests SNS bills for it
// (one per started 64 KB of payload) and its messages; the cost report adds the lines up.
type Metered struct {
	API
	Log *slog.Logger
}

var _ API = (*Metered)(nil)

// billedChunkBytes is the payload SNS bills as one request.
const billedChunkBytes = 64 * 1024

// PublishBatch implements API.
func (m *Metered) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	out, err := m.API.PublishBatch(ctx, in, opts...)
	size := 0
	for _, e := range in.PublishBatchRequestEntries {
		size += len(aws.ToString(e.Message))
		for k, v := range e.MessageAttributes {
			size += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
		}
	}
	m.Log.InfoContext(ctx, "sns_usage", slog.String("op", "PublishBatch"), slog.Int("requests", max(1, (size+billedChunkBytes-1)/billedChunkBytes)),
		slog.Int("messages", len(in.PublishBatchRequestEntries)))
	return out, err
}
