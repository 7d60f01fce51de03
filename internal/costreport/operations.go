package costreport

import (
	"fmt"
	"sort"
	"strings"
)

// Shape is what one operation needs at the least, whatever the code: the terms of its
// floor.
type Shape struct {
	APIRequests      float64
	TransactionItems float64 // items written in transactions: 2 units each, up to 1 KB
	PlainWrites      float64 // single conditional writes: 1 unit each
	Events           float64 // SNS publishes of the events
	Pushes           float64 // SNS publishes of the notifications' pushes (one request per event that notifies)
	QueueDeliveries  float64 // messages its events put on the consumers' queues
	Functions        float64 // functions behind the API requests, each invoked once
	Consumers        float64 // the stream publisher and the queue consumers, each once per batch
	SagaSteps        float64 // Express executions (and one step's invocation each) the saga's shape adds
}

// The shapes of the operations the report measures.
var (
	// An immediate transfer: one API request, one money transaction (both wallets, the
	// transfer as its own idempotency record, both statement entries), one event, a
	// notification per party and the payer's reward (balance and history item).
	TransferShape = Shape{APIRequests: 1, TransactionItems: floorTransactionItems, PlainWrites: floorNotificationPuts + floorRewardWrites,
		Events: 1, Pushes: 1, QueueDeliveries: floorQueueDeliveries, Functions: 1, Consumers: 3, SagaSteps: 1}
	// A hold captured later: two API requests; the reserve (the payer's wallet and the
	// transfer) and the capture's post (as an immediate transfer's); then as a transfer.
	HoldShape = Shape{APIRequests: 2, TransactionItems: 2 + floorTransactionItems, PlainWrites: floorNotificationPuts + floorRewardWrites,
		Events: 1, Pushes: 1, QueueDeliveries: floorQueueDeliveries, Functions: 2, Consumers: 3, SagaSteps: 2}
	// A credit: one API request, one money transaction (the wallet, the credit as its own
	// idempotency record, the wallet's and the paying account's entries), one event, the
	// owner's notification.
	CreditShape = Shape{APIRequests: 1, TransactionItems: 4, PlainWrites: 1, Events: 1, Pushes: 1, QueueDeliveries: 1, Functions: 1, Consumers: 2}
)

// FloorOf prices a shape's floor (no Step Functions) with the measurement's prices.
func FloorOf(s Shape, p Prices) []Line {
	wru := s.TransactionItems*2 + s.PlainWrites
	inv := s.Functions + s.Consumers/floorConsumerBatch
	gbs := inv * floorLambdaMs / 1000 * floorLambdaMemoryGB
	logBytes := inv * floorLogBytesPerInvocation
	traces := s.APIRequests * XRaySampledFraction
	return []Line{
		{"API Gateway REST API requests", fmt.Sprintf("%.2f", s.APIRequests), s.APIRequests * p.RESTAPIPerMillionRequests},
		{"Lambda requests", fmt.Sprintf("%.2f", inv), inv * p.LambdaPerMillionRequests},
		{"Lambda duration (GB-s)", fmt.Sprintf("%.5f", gbs), gbs * 1e6 * p.LambdaPerGBSecondArm},
		{"DynamoDB write units", fmt.Sprintf("%.1f", wru), wru * p.DynamoPerMillionWriteUnits},
		{"SNS publish requests", fmt.Sprintf("%.2f", s.Events+s.Pushes), (s.Events + s.Pushes) * p.SNSPerMillionPublishes},
		{"SQS requests (batched)", fmt.Sprintf("%.2f", s.QueueDeliveries*SQSRequestsPerMessage), s.QueueDeliveries * SQSRequestsPerMessage * p.SQSPerMillionRequests},
		{"CloudWatch Logs ingestion (bytes)", fmt.Sprintf("%.0f", logBytes), logBytes * 1e6 / 1e9 * p.LogsPerGBIngested},
		{"X-Ray traces (5 % sampled)", fmt.Sprintf("%.2f", traces), traces * p.XRayPerMillionTracesRecorded},
	}
}

// SagaFloorOf is a shape's floor with what the saga's shape adds: per step, one Express
// execution and one more Lambda invocation.
func SagaFloorOf(s Shape, p Prices) float64 {
	return Total(FloorOf(s, p)) + s.SagaSteps*(p.ExpressPerMillionRequests+p.LambdaPerMillionRequests+
		floorLambdaMs/1000*floorLambdaMemoryGB*1e6*p.LambdaPerGBSecondArm)
}

// Operation is another operation measured like the transfers, in its own run: priced
// per million of it, against its floor.
type Operation struct {
	Name     string
	Measured Measured // Transfers: how many of the operation completed
	Shape    Shape
}

// operationsSection is the report's section on the other operations.
func operationsSection(ops []Operation, p Prices) string {
	if len(ops) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## A hold captured later, and a credit\n\n")
	b.WriteString("Each measured like the transfers, in its own run after them: the same counting, priced per million of the\n")
	b.WriteString("operation. A hold is created (`mode: hold`, the saga's reserve), then captured in full (the saga's post), and\n")
	b.WriteString("its completion notifies both parties and earns the payer's reward. A credit posts from the external account\n")
	b.WriteString("and notifies the owner; it runs no saga. Floors as above: a hold's is two API requests, the reserve's\n")
	b.WriteString("transaction (the payer's wallet, the transfer) and then a transfer's; a credit's is one API request, one\n")
	b.WriteString("transaction of 4 items (the wallet, the credit as its own idempotency record, both entries), one event and one\n")
	b.WriteString("notification. The saga's shape adds an Express execution and a step's invocation per saga run (a hold runs two).\n\n")
	b.WriteString("| operation | completed | write units each | read units each | USD per million | floor | saga's shape floor | measured / floor |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, o := range ops {
		n := float64(o.Measured.Transfers)
		var wru, rru float64
		for _, f := range perOperation(o.Measured.Functions) {
			wru += f.WriteUnits
			rru += f.ReadUnits
		}
		total, floor := Total(Price(o.Measured, p)), Total(FloorOf(o.Shape, p))
		saga := "(no saga)"
		if o.Shape.SagaSteps > 0 {
			saga = fmt.Sprintf("%.2f", SagaFloorOf(o.Shape, p))
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f | %.1f | %.2f | %.2f | %s | %.1f× |\n", o.Name, o.Measured.Transfers, wru/n, rru/n, total, floor, saga, total/floor)
	}
	b.WriteString("\nWrite units each, by function:\n\n")
	for _, o := range ops {
		fs := perOperation(o.Measured.Functions)
		sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
		var parts []string
		for _, f := range fs {
			if f.WriteUnits/float64(o.Measured.Transfers) >= 0.05 { // what rounds to 0.0 is left out
				parts = append(parts, fmt.Sprintf("%s %.1f", f.Name, f.WriteUnits/float64(o.Measured.Transfers)))
			}
		}
		fmt.Fprintf(&b, "- %s: %s\n", o.Name, strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	return b.String()
}

// goalGap says what reaching the goal would take from the measured figure, in write
// units per transfer and against the saga's shape's floor.
func goalGap(m Measured, p Prices) string {
	lines := Price(m, p)
	total := Total(lines)
	if total <= goalPerMillion {
		return fmt.Sprintf("The measured $%.2f is within the goal of $%.2f.\n\n", total, goalPerMillion)
	}
	var wru float64
	for _, f := range perOperation(m.Functions) {
		wru += f.WriteUnits
	}
	wru /= float64(m.Transfers)
	floorWRU := TransferShape.TransactionItems*2 + TransferShape.PlainWrites
	others := total - wru*p.DynamoPerMillionWriteUnits
	atFloor := others + floorWRU*p.DynamoPerMillionWriteUnits
	head := fmt.Sprintf("Reaching the goal from $%.2f takes $%.2f less per million transfers. A write unit per transfer costs $%.3f per\n"+
		"million transfers, so by writes alone that is %.1f units fewer: %.1f per transfer, where the floor writes %.1f. Everything\n"+
		"but the writes measures $%.2f (the saga's shape's floor of it: $%.2f), so at the floor's writes the figure would be\n$%.2f",
		total, total-goalPerMillion, p.DynamoPerMillionWriteUnits, (total-goalPerMillion)/p.DynamoPerMillionWriteUnits,
		wru-(total-goalPerMillion)/p.DynamoPerMillionWriteUnits, floorWRU,
		others, SagaFloorOf(TransferShape, p)-floorWRU*p.DynamoPerMillionWriteUnits, atFloor)
	if atFloor > goalPerMillion {
		return head + fmt.Sprintf(": the goal needs the other lines cut as well (API Gateway's $%.2f per request alone is fixed).\n\n",
			p.RESTAPIPerMillionRequests)
	}
	return head + fmt.Sprintf(": the goal leaves room for %.1f write units per transfer beyond the floor's, where the path writes\n"+
		"%.1f more (the table above says what each buys).\n\n", (goalPerMillion-others)/p.DynamoPerMillionWriteUnits-floorWRU, wru-floorWRU)
}
