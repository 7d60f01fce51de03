// Package snsbus publishes events to an SNS topic, with the event type as a message
// attribute so that queue subscriptions can filter on it.
package snsbus

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/serverless-wallet/wallet/internal/event"
)

// API is the part of SNS the bus calls.
type API interface {
	PublishBatch(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var (
	_ API       = (*sns.Client)(nil)
	_ event.Bus = (*Bus)(nil)
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
	for start := 0; start < len(es); start += publishBatchMax {
		end := min(start+publishBatchMax, len(es))
		entries := make([]snstypes.PublishBatchRequestEntry, 0, end-start)
		for i, e := range es[start:end] {
			body, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode event %s: %w", e.ID, err)
			}
			entries = append(entries, snstypes.PublishBatchRequestEntry{
				Id:      aws.String(fmt.Sprintf("e%d", i)),
				Message: aws.String(string(body)),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{
					"type": {DataType: aws.String("String"), StringValue: aws.String(e.Type)},
				},
			})
		}
		out, err := b.SNS.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(b.TopicArn), PublishBatchRequestEntries: entries})
		if err != nil {
			return fmt.Errorf("publish events: %w", err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("publish events: %d of %d failed, first: %s", len(out.Failed), len(entries), aws.ToString(out.Failed[0].Message))
		}
	}
	return nil
}

// PublishText sends one message with string attributes (user notifications).
func (b *Bus) PublishText(ctx context.Context, message string, attrs map[string]string) error {
	ma := make(map[string]snstypes.MessageAttributeValue, len(attrs))
	for k, v := range attrs {
		ma[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	_, err := b.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(b.TopicArn), Message: aws.String(message), MessageAttributes: ma})
	if err != nil {
		return fmt.Errorf("publish notification: %w", err)
	}
	return nil
}
