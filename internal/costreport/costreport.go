// Package costreport measures what completed transfers cost: it drives transfers
// through the deployed API, then counts from the engine's own records (Lambda START and
// REPORT lines and DynamoDB usage lines in CloudWatch Logs, Step Functions execution
// histories) what AWS would bill, and prices it at list prices.
package costreport

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Prices are AWS list prices, us-east-1, on-demand, arm64, as published in 2026.
type Prices struct {
	LambdaPerMillionRequests     float64
	LambdaPerGBSecondArm         float64
	RESTAPIPerMillionRequests    float64
	ExpressPerMillionRequests    float64
	ExpressPerGBSecond           float64
	StandardPerThousandTransits  float64
	DynamoPerMillionWriteUnits   float64
	DynamoPerMillionReadUnits    float64
	SNSPerMillionPublishes       float64
	SQSPerMillionRequests        float64
	LogsPerGBIngested            float64
	XRayPerMillionTracesRecorded float64
}

// ListPrices are the prices the report uses; each is written next to the figures.
var ListPrices = Prices{
	LambdaPerMillionRequests:     0.20,
	LambdaPerGBSecondArm:         0.0000133334,
	RESTAPIPerMillionRequests:    3.50,
	ExpressPerMillionRequests:    1.00,
	ExpressPerGBSecond:           0.00001667, // $0.06 per GB-hour, first 1,000 GB-hours
	StandardPerThousandTransits:  0.025,
	DynamoPerMillionWriteUnits:   0.625,
	DynamoPerMillionReadUnits:    0.125,
	SNSPerMillionPublishes:       0.50, // SNS to SQS deliveries are free
	SQSPerMillionRequests:        0.40,
	LogsPerGBIngested:            0.50,
	XRayPerMillionTracesRecorded: 5.00,
}

// Assumptions that cannot be measured on the local engine.
const (
	ExpressMemoryGB       = 0.0625   // Express bills memory in 64 MB steps; this saga needs the first
	XRaySampledFraction   = 0.05     // the default sampling rule: 1 request/s, then 5 %
	SQSRequestsPerMessage = 2.0 / 10 // the poller's receive and delete, each for a batch of up to 10
	// AWS bills each invocation's duration rounded up to the millisecond: half a
	// millisecond on average above the handler's own time.
	billedRoundingMs = 0.5
)

// FunctionUsage is what one Lambda function did during the run.
type FunctionUsage struct {
	Name             string
	Invocations      int
	BilledDurationMs int64 // the local engine's REPORT lines: its process and queueing time included
	HandlerMicros    int64 // what the function's own handler spent (its "handled" lines)
	MemoryMB         int
	ReadUnits        float64
	WriteUnits       float64
	LogBytes         int64               // what production would ingest
	MeterLogBytes    int64               // the metering lines (DynamoDB, SNS, handler time), written only with MeterDynamoDB=true
	PlatformLogBytes int64               // the Lambda platform's START/END/REPORT lines: not ingested at SystemLogLevel WARN
	SNSRequests      int                 // SNS publish requests as billed (one per started 64 KB of a batch)
	Keys             map[string]KeyUnits // by partition key shape (as the DynamoDB meter shapes it)
}

// Measured is everything counted during a run.
type Measured struct {
	Transfers          int // completed
	Functions          []FunctionUsage
	Executions         int
	StateTransitions   int
	ExecutionMs        int64
	NotificationsTotal int
	APIRequests        int // requests the clients sent (each also runs the authorizer)
}

// Line is one row of the report.
type Line struct {
	Item      string
	PerTx     string
	PerMillon float64
}

// Price turns the measurements into per-transfer figures and a cost per million
// completed transfers.
func Price(m Measured, p Prices) []Line {
	n := float64(m.Transfers)
	var lines []Line
	var inv, gbs, rru, wru float64
	var logBytes int64
	snsRequests := 0
	for _, f := range perOperation(m.Functions) {
		snsRequests += f.SNSRequests
		inv += float64(f.Invocations)
		memGB := float64(f.MemoryMB) / 1024
		gbs += (float64(f.HandlerMicros)/1000 + billedRoundingMs*float64(f.Invocations)) / 1000 * memGB
		rru += f.ReadUnits
		wru += f.WriteUnits
		logBytes += f.LogBytes
	}
	add := func(item, perTx string, perMillion float64) { lines = append(lines, Line{item, perTx, perMillion}) }
	add("API Gateway REST API requests", fmt.Sprintf("%.2f", float64(m.APIRequests)/n), float64(m.APIRequests)/n*p.RESTAPIPerMillionRequests)
	add("Lambda requests", fmt.Sprintf("%.2f", inv/n), inv/n*p.LambdaPerMillionRequests)
	add("Lambda duration (GB-s, the handlers' own time)", fmt.Sprintf("%.4f", gbs/n), gbs/n*1e6*p.LambdaPerGBSecondArm)
	add("Step Functions Express requests", fmt.Sprintf("%.2f", float64(m.Executions)/n), float64(m.Executions)/n*p.ExpressPerMillionRequests)
	expressGBs := float64(m.ExecutionMs) / 1000 * ExpressMemoryGB
	add("Step Functions Express duration (GB-s)", fmt.Sprintf("%.4f", expressGBs/n), expressGBs/n*1e6*p.ExpressPerGBSecond)
	add("DynamoDB write units", fmt.Sprintf("%.1f", wru/n), wru/n*p.DynamoPerMillionWriteUnits)
	add("DynamoDB read units", fmt.Sprintf("%.1f", rru/n), rru/n*p.DynamoPerMillionReadUnits)
	add("SNS publish requests (events; notifications' pushes)", fmt.Sprintf("%.2f", float64(snsRequests)/n), float64(snsRequests)/n*p.SNSPerMillionPublishes)
	deliveries := float64(m.NotificationsTotal)
	add("SQS requests (poller receive+delete, batched)", fmt.Sprintf("%.2f", deliveries/n*SQSRequestsPerMessage), deliveries/n*SQSRequestsPerMessage*p.SQSPerMillionRequests)
	add("CloudWatch Logs ingestion (bytes)", fmt.Sprintf("%.0f", float64(logBytes)/n), float64(logBytes)/n*1e6/1e9*p.LogsPerGBIngested)
	traces := TraceStarts(m) * XRaySampledFraction
	add("X-Ray traces (5 % of the traces started: API requests, saga executions, consumers' invocations)", fmt.Sprintf("%.2f", traces),
		traces*p.XRayPerMillionTracesRecorded)
	return lines
}

// ownTraces names the functions an event source runs (the ledger stream, the queues):
// Lambda samples each invocation as the start of a trace of its own, as no trace header
// reaches them (the functions' SDK calls carry none).
var ownTraces = map[string]bool{"PublishEvents": true, "Notify": true, "EarnRewards": true, "RecordReview": true}

// TraceStarts is how many traces one operation starts, each sampled on its own: its API
// requests (the functions they run are in the request's trace), its saga executions
// (StartSyncExecution carries no trace header, so each execution starts one) and the
// invocations of the functions an event source runs.
func TraceStarts(m Measured) float64 {
	starts := float64(m.APIRequests + m.Executions)
	for _, f := range perOperation(m.Functions) {
		if ownTraces[f.Name] {
			starts += float64(f.Invocations)
		}
	}
	return starts / float64(m.Transfers)
}

// xrayAtLowVolume is the report's note on X-Ray below a trace a second per entry point.
func xrayAtLowVolume(m Measured, p Prices) string {
	starts := TraceStarts(m)
	return fmt.Sprintf(`- X-Ray is priced at 5 %% of the traces started, the default sampling rule's rate for an entry point (the API
  stage, the state machine, each consumer function) starting more than one a second. Below that, its reservoir (the
  first of every second) records nearly all of them: at a million transfers a month (0.4 a second) that is %.2f
  traces per transfer, $%.2f per million transfers instead of $%.2f (less the 100,000 traces a month X-Ray records
  free). At such volumes, `+"`Tracing=Disabled`"+` (or sampling rules without a reservoir for the API stage and the state
  machine, and no active tracing of the consumers, whose traces are one segment each) removes it.
`, starts, starts*p.XRayPerMillionTracesRecorded, starts*XRaySampledFraction*p.XRayPerMillionTracesRecorded)
}

// scheduled names the functions a schedule runs (the hold and request sweeper, every
// minute) whatever the traffic: a fixed monthly cost, left out of the per-transfer
// figures even when a run happened during the measurement.
var scheduled = map[string]bool{"ExpireHolds": true}

// perOperation is the functions whose use the operations measured cause: all but the
// scheduled ones.
func perOperation(fs []FunctionUsage) []FunctionUsage {
	out := make([]FunctionUsage, 0, len(fs))
	for _, f := range fs {
		if !scheduled[f.Name] {
			out = append(out, f)
		}
	}
	return out
}

// goalPerMillion is the cost per million completed transfers the design aims at, every
// transfer run by the saga.
const goalPerMillion = 20.00

// LocalDurationPerMillion is what Lambda duration would cost per million transfers if it
// were priced from the local engine's REPORT lines (its process start, scheduling and
// queueing on a busy machine included) instead of the handlers' own time.
func LocalDurationPerMillion(m Measured, p Prices) float64 {
	var gbs float64
	for _, f := range perOperation(m.Functions) {
		gbs += float64(f.BilledDurationMs) / 1000 * float64(f.MemoryMB) / 1024
	}
	return gbs / float64(m.Transfers) * 1e6 * p.LambdaPerGBSecondArm
}

// The floor is the least this feature set can cost on AWS per completed transfer,
// whatever the code: one API request, one function that writes one money transaction,
// one event, a notification per party and the payer's reward, consumed in batches.
const (
	// Both wallets, the transfer (also its idempotency record) and the two statement
	// entries; a transactional write costs 2 units per item of up to 1 KB.
	floorTransactionItems = 5
	floorNotificationPuts = 2 // one per party, a plain conditional put each
	floorRewardWrites     = 2 // the points balance and its history item
	floorConsumerBatch    = 10.0
	// The API's function, plus the stream publisher, the notifier and the rewards
	// consumer, each once per batch.
	floorInvocations           = 1 + 3/floorConsumerBatch
	floorLambdaMs              = 10.0  // a warm arm64 Go handler doing one transaction
	floorLambdaMemoryGB        = 0.125 // 128 MB, the smallest useful size
	floorLogBytesPerInvocation = 300.0 // one structured line (plus START/END/REPORT)
	floorQueueDeliveries       = 2     // the event reaches the notification and reward queues
)

// Floor prices an immediate transfer's floor with the same prices as the measurement.
func Floor(p Prices) []Line { return FloorOf(TransferShape, p) }

// Total adds the lines up.
func Total(lines []Line) float64 {
	t := 0.0
	for _, l := range lines {
		t += l.PerMillon
	}
	return t
}

// Write renders the report as Markdown.
func Write(w io.Writer, m Measured, p Prices, command string, others ...Operation) error {
	lines := Price(m, p)
	var b strings.Builder
	fmt.Fprintf(&b, "# Cost per million completed transfers\n\n")
	fmt.Fprintf(&b, "Measured on the local engine with `%s`: %d immediate transfers completed, each with its events\n", command, m.Transfers)
	fmt.Fprintf(&b, "(notifications to payer and payee, pushed and stored; the payer's reward points). Counted from the engine's\n")
	fmt.Fprintf(&b, "records: Lambda START/REPORT lines, the code's DynamoDB and SNS usage lines in CloudWatch Logs, and Step\n")
	fmt.Fprintf(&b, "Functions execution histories. Prices: AWS list prices, us-east-1, on-demand, arm64 (below).\n\n")
	fmt.Fprintf(&b, "| item | per transfer | USD per million transfers |\n|---|---:|---:|\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "| %s | %s | %.2f |\n", l.Item, l.PerTx, l.PerMillon)
	}
	fmt.Fprintf(&b, "| **total** | | **%.2f** |\n\n", Total(lines))
	fmt.Fprintf(&b, "Lambda duration is priced from what each function's own handler spent (its \"handled\" line, logged once per\n")
	fmt.Fprintf(&b, "invocation by a metered deployment), plus half a millisecond of rounding per invocation. Priced from the local\n")
	fmt.Fprintf(&b, "engine's REPORT lines instead (process start, scheduling and queueing on a busy 2-core machine included) it would\n")
	fmt.Fprintf(&b, "be $%.2f per million, and the total $%.2f.\n\n", LocalDurationPerMillion(m, p), Total(lines)-lines[2].PerMillon+LocalDurationPerMillion(m, p))
	fmt.Fprintf(&b, "Step Functions: %d executions, %d state transitions (%.1f per transfer); on a Standard state machine those\n",
		m.Executions, m.StateTransitions, float64(m.StateTransitions)/float64(m.Transfers))
	fmt.Fprintf(&b, "transitions alone would cost $%.2f per million transfers, which is why the saga is Express.\n\n",
		float64(m.StateTransitions)/float64(m.Transfers)*1e6/1000*p.StandardPerThousandTransits)
	floor := Floor(p)
	fmt.Fprintf(&b, "## The floor\n\n")
	fmt.Fprintf(&b, "The least this feature set can cost on AWS at these prices, whatever the code: one API request; one\n")
	fmt.Fprintf(&b, "function writing one money transaction of %d items (both wallets, the transfer as its own idempotency record,\n", floorTransactionItems)
	fmt.Fprintf(&b, "both statement entries); one event; a notification per party (stored, and pushed in one request) and the\n")
	fmt.Fprintf(&b, "payer's reward, consumed in batches of %.0f; %.0f ms at %.0f MB per invocation; one %.0f-byte log line per\n",
		floorConsumerBatch, floorLambdaMs, floorLambdaMemoryGB*1024, floorLogBytesPerInvocation)
	fmt.Fprintf(&b, "invocation; no Step Functions.\n\n")
	fmt.Fprintf(&b, "| item | per transfer | USD per million transfers |\n|---|---:|---:|\n")
	for _, l := range floor {
		fmt.Fprintf(&b, "| %s | %s | %.2f |\n", l.Item, l.PerTx, l.PerMillon)
	}
	fmt.Fprintf(&b, "| **floor** | | **%.2f** |\n\n", Total(floor))
	fmt.Fprintf(&b, "Measured / floor: **%.1f×**.\n\n", Total(lines)/Total(floor))
	fmt.Fprintf(&b, "## Lambda functions during the run\n\n| function | invocations | billed ms | memory MB | RRU | WRU | SNS requests | log bytes | platform log bytes | metering log bytes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fs := append([]FunctionUsage(nil), m.Functions...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	for _, f := range fs {
		if f.Invocations == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.1f | %.1f | %d | %d | %d | %d |\n", f.Name, f.Invocations, f.BilledDurationMs, f.MemoryMB,
			f.ReadUnits, f.WriteUnits, f.SNSRequests, f.LogBytes, f.PlatformLogBytes, f.MeterLogBytes)
	}
	fmt.Fprintf(&b, "\n## Prices used\n\n")
	fmt.Fprintf(&b, "- Lambda: $%.2f per million requests, $%.10f per GB-second (arm64)\n", p.LambdaPerMillionRequests, p.LambdaPerGBSecondArm)
	fmt.Fprintf(&b, "- API Gateway REST API: $%.2f per million requests (first 333 million a month)\n", p.RESTAPIPerMillionRequests)
	fmt.Fprintf(&b, "- Step Functions Express: $%.2f per million requests, $%.8f per GB-second (%.4f GB assumed); Standard: $%.3f per 1,000 transitions\n",
		p.ExpressPerMillionRequests, p.ExpressPerGBSecond, ExpressMemoryGB, p.StandardPerThousandTransits)
	fmt.Fprintf(&b, "- DynamoDB on-demand: $%.3f per million write units, $%.3f per million read units\n", p.DynamoPerMillionWriteUnits, p.DynamoPerMillionReadUnits)
	fmt.Fprintf(&b, "- SNS: $%.2f per million publishes (deliveries to SQS free); SQS: $%.2f per million requests\n", p.SNSPerMillionPublishes, p.SQSPerMillionRequests)
	fmt.Fprintf(&b, "- CloudWatch Logs: $%.2f per GB ingested; X-Ray: $%.2f per million traces recorded\n\n", p.LogsPerGBIngested, p.XRayPerMillionTracesRecorded)
	b.WriteString(strings.TrimSuffix(notShown, "\n") + xrayAtLowVolume(m, p) + "\n")
	sagaFloor := SagaFloorOf(TransferShape, p)
	fmt.Fprintf(&b, againstTheGoal, goalPerMillion, sagaFloor, Total(lines)/sagaFloor, writesTable(m))
	b.WriteString("\n" + goalGap(m, p))
	b.WriteString(operationsSection(others, p))
	_, err := io.WriteString(w, b.String())
	return err
}

// notShown is the report's section on what the figures leave out.
const notShown = `## What this does not show

- Lambda durations are the handlers' own times on this machine (x86-64, shared with other work), not arm64's; cold
  starts (init) are left out, as they are rare per transfer. Express duration is priced from the executions' start
  and stop times.
- The DynamoDB and SNS usage lines are written only by a deployment with MeterDynamoDB=true (refused for prod);
  the DynamoDB lines carry the capacity the engine reports (ReturnConsumedCapacity), or units computed from item
  sizes when it reports none (a cancelled transaction); the SNS lines the requests SNS bills for each publish (one
  per started 64 KB of a batch). Their bytes are counted apart (metering log bytes) and not billed.
- The Lambda platform's own lines (START, END, REPORT) are counted apart (platform log bytes) and not billed:
  template.yaml's functions log at SystemLogLevel WARN, at which Lambda sends none of them to CloudWatch Logs.
- SQS requests are modelled (poller receives and deletes in batches of up to 10); idle long-polling is a fixed
  monthly cost, not a per-transfer one. Secrets Manager reads happen once per cold start and are left out.
- The sweeper of expired holds and requests (ExpireHolds) runs every minute whatever the traffic: a fixed monthly
  cost, left out of the per-transfer figures; its runs during the measurement are listed in the functions' table.

`

// writeReasons says, per function, what its writes for one transfer buy and what
// removing them would break (the report's table of writes).
var writeReasons = map[string]string{
	"CreateTransfer": "the request's rate-limit counter (per-caller limits); the idempotency claim (one key, one request across every endpoint: without it a key used for a credit could also pay a transfer); the transfer under the id derived from the key (its conditional put is what makes it happen once); its two per-wallet list entries (the transfer lists: an index on the transfer would write as much)",
	"SagaPost":       "one transaction: both wallets, both statement entries and the transfer (the money moves exactly once, with its posting; nothing to compensate)",
	"Notify":         "per party, the notification as one conditional put keyed by its fact (event id and recipient: one notification per fact however often, and whenever, the event arrives; a redelivery finds it and writes nothing) and its entry in the table's by-time index (the list and the unread count, newest first: the fact key has no time order)",
	"EarnRewards":    "one transaction: the transfer's earn claim (points once per transfer, and what its refunds took back; also the earn's line of the rewards history) and the points balance with the day's count (the daily cap exact; the day a balance leaves is written to its own item once per user, currency and day); the claim's entry in the rewards table's by-time index (the history, newest first: the claim's key is the transfer, with no time order)",
	"Authorizer":     "none",
	"PublishEvents":  "none (the stream's records become SNS messages)",
}

// writesTable is the report's table of write units per transfer by function, with what
// each buys.
func writesTable(m Measured) string {
	var b strings.Builder
	b.WriteString("| function | write units per transfer | what they buy, and what removing them would break |\n|---|---:|---|\n")
	for _, f := range perOperation(m.Functions) {
		if f.WriteUnits == 0 && f.Invocations == 0 {
			continue
		}
		reason, ok := writeReasons[f.Name]
		if !ok {
			reason = "(not part of a transfer's path)"
		}
		fmt.Fprintf(&b, "| %s | %.1f | %s |\n", f.Name, f.WriteUnits/float64(m.Transfers), reason)
	}
	return b.String()
}

// againstTheGoal is the report's closing section; its verbs take the goal, the floor of
// the saga's shape, the ratio to it, and the table of writes.
const againstTheGoal = `## Against the goal of $%.2f per million, every transfer in the saga

The floor above has no Step Functions. The saga's shape adds, at the least, one Express execution and one more
Lambda invocation (the saga's one step) per transfer: **$%.2f** per million. Measured / that floor: **%.1f×**.

Write units per transfer, by function (measured), with what each write buys:

%s
Beyond the floor's writes, a transfer writes its rate-limit counter, its key's claim, the transfer itself before
the saga starts (the execution refers to it; its conditional put is what makes the key's transfer happen once),
its two list entries, the reward's claim (in a transaction: two units, and one for its history index entry) and
the notifications' index entries. Every one of them buys a guarantee or a page someone reads. Not levers:
the transfer's list entries (two indexes on the transfer, one per wallet, would write as much), the statement
entries (they are the posting's own double-entry record, written with the wallets they move), the idempotency
claim (one key, one request across endpoints), the notifications' index (the fact key, which makes a notification
exactly-once, has no time order) and the rate-limit counter (a per-caller limit is a count kept somewhere).
`
