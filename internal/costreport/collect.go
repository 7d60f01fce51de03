package costreport

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/serverless-wallet/wallet/internal/event"
)

// Limits of the collector.
const (
	logPagesMax       = 10_000
	executionPagesMax = 1_000
)

// LogsAPI is the part of CloudWatch Logs the collector reads.
type LogsAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// SFNAPI is the part of Step Functions the collector reads.
type SFNAPI interface {
	ListExecutions(context.Context, *sfn.ListExecutionsInput, ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	GetExecutionHistory(context.Context, *sfn.GetExecutionHistoryInput, ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

var (
	reportLine  = regexp.MustCompile(`Billed Duration: (\d+) ms\s+Memory Size: (\d+) MB`)
	usageLine   = regexp.MustCompile(`ddb_usage.*rru"?[=:]([0-9.]+).*wru"?[=:]([0-9.]+)`) // text or JSON
	handledLine = regexp.MustCompile(`handler_us"?[=:](\d+)`)                             // a metered function's time in its handler
	snsLine     = regexp.MustCompile(`sns_usage.*requests"?[=:](\d+)`)                    // a metered publish's billed requests
	keysAttr    = regexp.MustCompile(`ddb_usage.*keys"?[=:]"?([^"\s]*)`)
)

// KeyUnits is the capacity the run used on one partition key (as the DynamoDB meter shapes it) and
// how many calls touched it.
type KeyUnits struct {
	Calls      int
	ReadUnits  float64
	WriteUnits float64
}

// addKeys adds a metering line's per-key units (shape:r<units>:w<units>, comma
// separated) to keys.
func addKeys(keys map[string]KeyUnits, msg string) {
	m := keysAttr.FindStringSubmatch(msg)
	if m == nil || m[1] == "" {
		return
	}
	for _, use := range strings.Split(m[1], ",") {
		w := strings.LastIndex(use, ":w")
		r := strings.LastIndex(use[:max(w, 0)], ":r")
		if w < 0 || r < 0 {
			continue
		}
		rru, _ := strconv.ParseFloat(use[r+2:w], 64)
		wru, _ := strconv.ParseFloat(use[w+2:], 64)
		k := keys[use[:r]]
		k.Calls++
		k.ReadUnits += rru
		k.WriteUnits += wru
		keys[use[:r]] = k
	}
}

// CollectFunctions reads every Lambda log group's events in [from, to).
func CollectFunctions(ctx context.Context, logs LogsAPI, stack string, from, to time.Time) ([]FunctionUsage, map[string]int, error) {
	groups, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + stack + "-")})
	if err != nil {
		return nil, nil, fmt.Errorf("list log groups: %w", err)
	}
	marks := map[string]int{} // counts of chosen message texts, across functions
	var out []FunctionUsage
	for _, g := range groups.LogGroups {
		name := strings.TrimPrefix(aws.ToString(g.LogGroupName), "/aws/lambda/"+stack+"-")
		if i := strings.LastIndex(name, "Function-"); i > 0 {
			name = name[:i]
		}
		u := FunctionUsage{Name: name, Keys: map[string]KeyUnits{}}
		var token *string
		for page := 0; page < logPagesMax; page++ {
			res, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g.LogGroupName,
				StartTime: aws.Int64(from.UnixMilli()), EndTime: aws.Int64(to.UnixMilli()), NextToken: token})
			if err != nil {
				return nil, nil, fmt.Errorf("read %s: %w", aws.ToString(g.LogGroupName), err)
			}
			for _, e := range res.Events {
				msg := aws.ToString(e.Message)
				// The metering lines exist only in a deployment with MeterDynamoDB=true,
				// which the template refuses for prod: counted apart, not billed.
				handled := handledLine.FindStringSubmatch(msg)
				if handled != nil {
					us, _ := strconv.ParseInt(handled[1], 10, 64)
					u.HandlerMicros += us
				}
				sns := snsLine.FindStringSubmatch(msg)
				if sns != nil {
					n, _ := strconv.Atoi(sns[1])
					u.SNSRequests += n
				}
				switch {
				case usageLine.MatchString(msg) || handled != nil || sns != nil:
					u.MeterLogBytes += int64(len(msg))
				case isPlatformLine(msg):
					u.PlatformLogBytes += int64(len(msg))
				default:
					u.LogBytes += int64(len(msg))
				}
				switch {
				case strings.HasPrefix(msg, "START RequestId"):
					u.Invocations++
				case strings.HasPrefix(msg, "REPORT RequestId"):
					if m := reportLine.FindStringSubmatch(msg); m != nil {
						ms, _ := strconv.ParseInt(m[1], 10, 64)
						mb, _ := strconv.Atoi(m[2])
						u.BilledDurationMs += ms
						u.MemoryMB = mb
					}
				}
				if m := usageLine.FindStringSubmatch(msg); m != nil {
					r, _ := strconv.ParseFloat(m[1], 64)
					w, _ := strconv.ParseFloat(m[2], 64)
					u.ReadUnits += r
					u.WriteUnits += w
					addKeys(u.Keys, msg)
				}
				for _, text := range []string{event.LogPublished, event.LogHandled} {
					if strings.Contains(msg, text) {
						marks[name+": "+text]++
					}
				}
			}
			if res.NextToken == nil || aws.ToString(res.NextToken) == aws.ToString(token) {
				break
			}
			token = res.NextToken
		}
		out = append(out, u)
	}
	return out, marks, nil
}

// platformLinePrefixes begin the lines the Lambda platform writes itself (the local
// engine's text form); production, at SystemLogLevel WARN, ingests none of them.
var platformLinePrefixes = []string{"START RequestId", "END RequestId", "REPORT RequestId", "INIT_START", "INIT_REPORT", "EXTENSION"}

func isPlatformLine(msg string) bool {
	for _, p := range platformLinePrefixes {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// CollectExecutions counts the state machine's executions started in [from, to), the
// state transitions in their histories, and their total duration.
func CollectExecutions(ctx context.Context, api SFNAPI, stateMachineArn string, from, to time.Time) (n, transitions int, totalMs int64, err error) {
	var token *string
	for page := 0; page < executionPagesMax; page++ {
		res, err := api.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(stateMachineArn), NextToken: token})
		if err != nil {
			return 0, 0, 0, fmt.Errorf("list executions: %w", err)
		}
		for _, e := range res.Executions {
			if e.StartDate == nil || e.StartDate.Before(from) || !e.StartDate.Before(to) {
				continue
			}
			n++
			if e.StopDate != nil {
				totalMs += e.StopDate.Sub(*e.StartDate).Milliseconds()
			}
			h, err := api.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: e.ExecutionArn, MaxResults: 1000})
			if err != nil {
				return 0, 0, 0, fmt.Errorf("execution history: %w", err)
			}
			for _, ev := range h.Events {
				if strings.HasSuffix(string(ev.Type), "StateEntered") {
					transitions++
				}
			}
		}
		if res.NextToken == nil {
			break
		}
		token = res.NextToken
	}
	return n, transitions, totalMs, nil
}
