package trace_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/trace"
)

// fakeLogs holds events per log group and answers FilterLogEvents one event a page, so
// paging is exercised; it ignores the pattern, as the local engine may.
type fakeLogs struct {
	groups map[string][]cwtypes.FilteredLogEvent
	asked  []string
}

func (f *fakeLogs) DescribeLogGroups(_ context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	var out []cwtypes.LogGroup
	for name := range f.groups {
		if len(name) >= len(*in.LogGroupNamePrefix) && name[:len(*in.LogGroupNamePrefix)] == *in.LogGroupNamePrefix {
			out = append(out, cwtypes.LogGroup{LogGroupName: aws.String(name)})
		}
	}
	return &cloudwatchlogs.DescribeLogGroupsOutput{LogGroups: out}, nil
}

func (f *fakeLogs) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	f.asked = append(f.asked, *in.FilterPattern)
	evs := f.groups[*in.LogGroupName]
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	if i >= len(evs) {
		return &cloudwatchlogs.FilterLogEventsOutput{}, nil
	}
	out := &cloudwatchlogs.FilterLogEventsOutput{Events: evs[i : i+1]}
	if i+1 < len(evs) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func ev(ms int64, msg string) cwtypes.FilteredLogEvent {
	return cwtypes.FilteredLogEvent{Timestamp: aws.Int64(ms), Message: aws.String(msg)}
}

func TestStoryIsEveryLineWithTheIDOldestFirst(t *testing.T) {
	const id = "6f1f2d0c-3b8e-4c55-9a57-0d8f3e7b2a61"
	logs := &fakeLogs{groups: map[string][]cwtypes.FilteredLogEvent{
		"/aws/lambda/wallet-CreateTransferFunction-ABC": {ev(1000, "level=INFO message=request transfer_id="+id), ev(1001, "other transfer")},
		"/aws/lambda/wallet-SagaReserveFunction-DEF":    {ev(1500, "level=INFO message=step transfer_id="+id+"\n")},
		"/aws/lambda/wallet-NotifyFunction-GHI":         {ev(900, "unrelated"), ev(3000, `{"transfer_id":"`+id+`"}`)},
		"/aws/lambda/other-SagaReserveFunction-XYZ":     {ev(1200, "transfer_id="+id)},
	}}
	lines, err := trace.Story(context.Background(), logs, "wallet", id, time.UnixMilli(0))
	require.NoError(t, err)
	var got []string
	for _, l := range lines {
		got = append(got, l.Function)
	}
	assert.Equal(t, []string{"CreateTransferFunction", "SagaReserveFunction", "NotifyFunction"}, got, "this stack's lines with the id, by time")
	assert.Equal(t, "level=INFO message=step transfer_id="+id, lines[1].Message, "trimmed")
	for _, p := range logs.asked {
		assert.Equal(t, `"`+id+`"`, p, "AWS filters by the quoted id")
	}
}

func TestStoryNeedsAnID(t *testing.T) {
	_, err := trace.Story(context.Background(), &fakeLogs{}, "wallet", " ", time.Now())
	assert.Error(t, err)
}

// The engine stores a function's lines when its invocation ends, so the log service's
// times can put a later step first; the time each line carries orders the story.
func TestStoryIsOrderedByTheTimeInTheLine(t *testing.T) {
	const id = "0e1f2d0c-3b8e-4c55-9a57-0d8f3e7b2a61"
	logs := &fakeLogs{groups: map[string][]cwtypes.FilteredLogEvent{
		"/aws/lambda/wallet-SagaPostFunction-A":    {ev(1000, "timestamp=2026-12-06T10:00:02.000Z level=INFO message=step step=post transfer_id="+id)},
		"/aws/lambda/wallet-SagaReserveFunction-B": {ev(2000, `{"timestamp":"2026-12-06T10:00:01.500Z","level":"INFO","message":"step","step":"reserve","transfer_id":"`+id+`"}`)},
		"/aws/lambda/wallet-NotifyFunction-C":      {ev(500, "level=INFO message=no-time transfer_id="+id)},
	}}
	lines, err := trace.Story(context.Background(), logs, "wallet", id, time.Time{})
	require.NoError(t, err)
	var order []string
	for _, l := range lines {
		order = append(order, l.Function)
	}
	assert.Equal(t, []string{"NotifyFunction", "SagaReserveFunction", "SagaPostFunction"}, order)
	assert.Equal(t, time.Date(2026, 12, 6, 10, 0, 1, 500e6, time.UTC), lines[1].At)
}
