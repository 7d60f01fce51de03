// Package trace finds one transfer's whole story in the logs: every function of the
// stack logs the transfer id on each line about it (the API request that created it, the
// saga steps, the event publisher, the consumers, the review desk), so one search by
// that id over the stack's log groups, sorted by time, is the story.
package trace

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// LogsAPI is the part of CloudWatch Logs a search uses.
type LogsAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Limits of one search, in the units their names carry.
const (
	groupPagesMax = 10 // of log groups (50 each)
	eventPagesMax = 50 // of events per log group
)

// Line is one log line that names the id.
type Line struct {
	At       time.Time
	Function string // the log group's function, e.g. SagaReserveFunction
	Message  string
}

// Story returns every line of the stack's Lambda log groups since from that contains id,
// oldest first.
func Story(ctx context.Context, logs LogsAPI, stack, id string, from time.Time) ([]Line, error) {
	if strings.TrimSpace(id) == "" {
		return nil, fmt.Errorf("trace: an id is required")
	}
	return search(ctx, logs, stack, `"`+id+`"`, from, func(msg string) bool { return strings.Contains(msg, id) })
}

// All returns every line of the stack's Lambda log groups since from, oldest first.
func All(ctx context.Context, logs LogsAPI, stack string, from time.Time) ([]Line, error) {
	return search(ctx, logs, stack, "", from, func(string) bool { return true })
}

// search reads the lines of the stack's Lambda log groups since from that the filter
// pattern passes ("" passes all) and keep keeps (also where an engine ignores patterns).
func search(ctx context.Context, logs LogsAPI, stack, pattern string, from time.Time, keep func(string) bool) ([]Line, error) {
	prefix := "/aws/lambda/" + stack + "-"
	var groups []string
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix)}
	for page := 0; page < groupPagesMax; page++ {
		out, err := logs.DescribeLogGroups(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("trace: list log groups: %w", err)
		}
		for _, g := range out.LogGroups {
			groups = append(groups, aws.ToString(g.LogGroupName))
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	var lines []Line
	for _, g := range groups {
		fn := functionOf(strings.TrimPrefix(g, prefix))
		f := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g), StartTime: aws.Int64(from.UnixMilli())}
		if pattern != "" {
			f.FilterPattern = aws.String(pattern)
		}
		for page := 0; page < eventPagesMax; page++ {
			out, err := logs.FilterLogEvents(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("trace: search %s: %w", g, err)
			}
			for _, e := range out.Events {
				msg := aws.ToString(e.Message)
				if keep(msg) {
					at := loggedAt(msg, time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC())
					lines = append(lines, Line{At: at, Function: fn, Message: strings.TrimSpace(msg)})
				}
			}
			if out.NextToken == nil {
				break
			}
			f.NextToken = out.NextToken
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].At.Before(lines[j].At) })
	return lines, nil
}

// loggedAt is when a line was written: the time the logger put in it ("timestamp", as
// aws-lambda-go's slog handler names it, in JSON or text), else the time the log service gives the event. The two differ
// where lines reach the log service late or in batches (the local engine stores a
// function's lines when its invocation ends), and only the first orders a story.
func loggedAt(msg string, received time.Time) time.Time {
	for _, field := range []string{`"timestamp":"`, "timestamp="} {
		i := strings.Index(msg, field)
		if i < 0 {
			continue
		}
		rest := msg[i+len(field):]
		if end := strings.IndexAny(rest, "\" "); end >= 0 {
			rest = rest[:end]
		}
		if at, err := time.Parse(time.RFC3339Nano, rest); err == nil {
			return at.UTC()
		}
	}
	return received
}

// functionOf drops the random suffix CloudFormation gives a function's name
// ("SagaReserveFunction-1A2B3C" → "SagaReserveFunction").
func functionOf(name string) string {
	if i := strings.LastIndex(name, "-"); i > 0 {
		return name[:i]
	}
	return name
}
