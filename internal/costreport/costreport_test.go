package costreport

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestFloorAtListPrices(t *testing.T) {
	lines := Floor(ListPrices)
	byItem := map[string]float64{}
	for _, l := range lines {
		byItem[l.Item] = l.PerMillon
	}
	// 5 transaction items at 2 units, 2 notification puts, 2 reward writes: 14 units.
	assert.InDelta(t, 14*0.625, byItem["DynamoDB write units"], 1e-9)
	assert.InDelta(t, 3.50, byItem["API Gateway REST API requests"], 1e-9)
	// 1.3 invocations at $0.20 per million.
	assert.InDelta(t, 0.26, byItem["Lambda requests"], 1e-9)
	// 1.3 × 10 ms × 0.125 GB = 0.001625 GB-s at $0.0000133334.
	assert.InDelta(t, 0.0216667, byItem["Lambda duration (GB-s)"], 1e-6)
	// The event and its notifications' push: two publish requests.
	assert.InDelta(t, 1.00, byItem["SNS publish requests"], 1e-9)
	// 3.50 + 0.26 + 0.0217 + 8.75 + 1.00 + 0.16 + 0.195 + 0.25
	assert.InDelta(t, 14.1367, Total(lines), 1e-3)
}

func TestPriceIsPerCompletedTransfer(t *testing.T) {
	m := Measured{
		Transfers:   100,
		APIRequests: 100,
		Executions:  100,
		Functions: []FunctionUsage{
			{Name: "CreateTransfer", Invocations: 100, BilledDurationMs: 100 * 1000, HandlerMicros: 100*1000*1000 - 100*500, MemoryMB: 1024,
				WriteUnits: 1000, ReadUnits: 800, LogBytes: 100 * 1000, PlatformLogBytes: 100 * 256},
			{Name: "PublishEvents", Invocations: 0, SNSRequests: 100},
			{Name: "Notify", Invocations: 50, BilledDurationMs: 0, MemoryMB: 256, SNSRequests: 50},
		},
	}
	lines := Price(m, ListPrices)
	byItem := map[string]Line{}
	for _, l := range lines {
		byItem[l.Item] = l
	}
	assert.Equal(t, "1.50", byItem["Lambda requests"].PerTx)
	assert.InDelta(t, 0.30, byItem["Lambda requests"].PerMillon, 1e-9)
	assert.Equal(t, "10.0", byItem["DynamoDB write units"].PerTx)
	assert.InDelta(t, 6.25, byItem["DynamoDB write units"].PerMillon, 1e-9)
	// 1 s at 1 GB per transfer: the handler's 999.5 ms and half a millisecond of rounding
	// per invocation (Notify's 50 invocations add 0.5 ms at 0.25 GB each).
	assert.InDelta(t, 13.3334+50*0.0005*0.25/100*1e6*ListPrices.LambdaPerGBSecondArm, byItem["Lambda duration (GB-s, the handlers' own time)"].PerMillon, 1e-6)
	assert.InDelta(t, 13.3334, LocalDurationPerMillion(m, ListPrices), 1e-9, "priced from the REPORT lines instead")
	assert.InDelta(t, 0.50, byItem["CloudWatch Logs ingestion (bytes)"].PerMillon, 1e-9, "the platform's lines are not billed")
	assert.Equal(t, "1.50", byItem["SNS publish requests (events; notifications' pushes)"].PerTx, "the events' and the pushes' requests")
	assert.InDelta(t, 0.75, byItem["SNS publish requests (events; notifications' pushes)"].PerMillon, 1e-9)
	// 100 API requests, 100 executions and Notify's 50 invocations start 2.5 traces per
	// transfer (CreateTransfer's invocations are in its requests' traces), 5 % sampled.
	xray := byItem["X-Ray traces (5 % of the traces started: API requests, saga executions, consumers' invocations)"]
	assert.Equal(t, "0.12", xray.PerTx)
	assert.InDelta(t, 2.5*0.05*5.00, xray.PerMillon, 1e-9)
}

func TestTraceStartsCountEachSampledEntryPoint(t *testing.T) {
	fn := func(name string, n int) FunctionUsage { return FunctionUsage{Name: name, Invocations: n} }
	tests := []struct {
		name string
		m    Measured
		want float64
	}{
		{"an API request alone", Measured{Transfers: 10, APIRequests: 10, Functions: []FunctionUsage{fn("CreateTransfer", 10), fn("Authorizer", 3)}}, 1},
		{"its saga's execution starts another", Measured{Transfers: 10, APIRequests: 10, Executions: 10,
			Functions: []FunctionUsage{fn("SagaPost", 10)}}, 2},
		{"so does every consumer's invocation", Measured{Transfers: 10, APIRequests: 10, Executions: 10,
			Functions: []FunctionUsage{fn("PublishEvents", 10), fn("Notify", 6), fn("EarnRewards", 6), fn("RecordReview", 1)}}, 4.3},
		{"but not the sweeper's runs", Measured{Transfers: 10, APIRequests: 10, Functions: []FunctionUsage{fn("ExpireHolds", 5)}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, TraceStarts(tt.m), 1e-9)
		})
	}
}

func TestWriteStatesTheFloorAndTheRatio(t *testing.T) {
	m := Measured{Transfers: 1, APIRequests: 1, Functions: []FunctionUsage{{Name: "F", Invocations: 1, MemoryMB: 256, WriteUnits: 28}}}
	var b bytes.Buffer
	require.NoError(t, Write(&b, m, ListPrices, "make cost N=1"))
	assert.Contains(t, b.String(), "## The floor")
	assert.Contains(t, b.String(), "| **floor** | | **14.14** |")
	assert.Contains(t, b.String(), "Measured / floor: **")
	assert.Contains(t, b.String(), "| F | 28.0 | (not part of a transfer's path) |", "the table of writes")
}

type fakeLogs []string

func (f fakeLogs) DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	return &cloudwatchlogs.DescribeLogGroupsOutput{LogGroups: []cwtypes.LogGroup{{LogGroupName: aws.String("/aws/lambda/wallet-SagaReserveFunction-ABC")}}}, nil
}

func (f fakeLogs) FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	out := &cloudwatchlogs.FilterLogEventsOutput{}
	for _, m := range f {
		out.Events = append(out.Events, cwtypes.FilteredLogEvent{Message: aws.String(m)})
	}
	return out, nil
}

func TestCollectFunctionsCountsMeteringLinesApart(t *testing.T) {
	start := "START RequestId: 1 Version: $LATEST"
	usage := `{"level":"INFO","msg":"ddb_usage","op":"TransactWriteItems","rru=0 wru=10"}`
	handled := `{"level":"INFO","message":"handled","handler_us":1750}`
	handledText := `level=INFO msg=handled handler_us=250`
	sns := `level=INFO msg=sns_usage op=PublishBatch requests=2 messages=3`
	line := `level=INFO msg="step" transfer_id=t-1 step=post`
	end := "END RequestId: 1"
	report := "REPORT RequestId: 1	Duration: 3.00 ms	Billed Duration: 4 ms	Memory Size: 256 MB"
	fs, _, err := CollectFunctions(context.Background(), fakeLogs{start, usage, handled, handledText, sns, line, end, report}, "wallet", time.Now(), time.Now())
	require.NoError(t, err)
	require.Len(t, fs, 1)
	f := fs[0]
	assert.Equal(t, "SagaReserve", f.Name)
	assert.Equal(t, 1, f.Invocations)
	assert.Equal(t, int64(4), f.BilledDurationMs)
	assert.InDelta(t, 10, f.WriteUnits, 1e-9)
	assert.Equal(t, int64(2000), f.HandlerMicros, "the handlers' own time, JSON or text")
	assert.Equal(t, 2, f.SNSRequests)
	assert.Equal(t, int64(len(usage)+len(handled)+len(handledText)+len(sns)), f.MeterLogBytes, "metered deployments' lines, not billed")
	assert.Equal(t, int64(len(start)+len(end)+len(report)), f.PlatformLogBytes, "the platform's lines, not ingested at SystemLogLevel WARN")
	assert.Equal(t, int64(len(line)), f.LogBytes)
}

func TestCollectFunctionsAddsUpUnitsPerKey(t *testing.T) {
	lines := fakeLogs{
		`{"level":"INFO","message":"ddb_usage","op":"TransactWriteItems","rru":0,"wru":6,"keys":"ledger:WALLET#ab12cd34:r0:w2,ledger:HOLDS:r0:w2,ledger:WALLET#ab12cd34:r0:w2"}`,
		`time=x level=INFO msg=ddb_usage op=GetItem rru=0.5 wru=0 keys=ledger:CONTROL#BREAKER:r0.5:w0`,
		`{"level":"INFO","message":"ddb_usage","op":"Scan","rru":1,"wru":0,"keys":""}`,
	}
	fs, _, err := CollectFunctions(context.Background(), lines, "wallet", time.Now(), time.Now())
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.InDelta(t, 6, fs[0].WriteUnits, 1e-9)
	assert.InDelta(t, 1.5, fs[0].ReadUnits, 1e-9)
	assert.Equal(t, map[string]KeyUnits{
		"ledger:WALLET#ab12cd34": {Calls: 2, WriteUnits: 4},
		"ledger:HOLDS":           {Calls: 1, WriteUnits: 2},
		"ledger:CONTROL#BREAKER": {Calls: 1, ReadUnits: 0.5},
	}, fs[0].Keys)
}

// The report leaves the platform's START/END/REPORT lines out of the bill because the
// template has Lambda drop them (JSON logs, system level WARN): it must keep doing so.
func TestTemplateDropsThePlatformLines(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	require.NoError(t, err)
	var tpl struct {
		Globals struct {
			Function struct {
				LoggingConfig struct {
					LogFormat      string `yaml:"LogFormat"`
					SystemLogLevel string `yaml:"SystemLogLevel"`
				} `yaml:"LoggingConfig"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
	}
	require.NoError(t, yaml.Unmarshal(body, &tpl))
	assert.Equal(t, "JSON", tpl.Globals.Function.LoggingConfig.LogFormat, "the system log level needs the JSON log format")
	assert.Equal(t, "WARN", tpl.Globals.Function.LoggingConfig.SystemLogLevel)
}

// The sweeper's runs are a cost per minute, not per transfer: a run during the
// measurement changes no per-transfer figure.
func TestScheduledRunsAreNotPerTransfer(t *testing.T) {
	m := Measured{Transfers: 10, APIRequests: 10, Functions: []FunctionUsage{
		{Name: "CreateTransfer", Invocations: 10, MemoryMB: 256, WriteUnits: 50, ReadUnits: 40, LogBytes: 3000, SNSRequests: 0},
	}}
	with := m
	with.Functions = append(append([]FunctionUsage(nil), m.Functions...),
		FunctionUsage{Name: "ExpireHolds", Invocations: 1, MemoryMB: 256, HandlerMicros: 400_000, ReadUnits: 80, WriteUnits: 2, LogBytes: 700})
	assert.Equal(t, Price(m, ListPrices), Price(with, ListPrices))
	assert.Equal(t, LocalDurationPerMillion(m, ListPrices), LocalDurationPerMillion(with, ListPrices))
	assert.Equal(t, goalGap(m, ListPrices), goalGap(with, ListPrices))
	assert.NotContains(t, writesTable(with), "ExpireHolds")
}
