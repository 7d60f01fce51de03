// Package callrecord records what a function asks of AWS, as IAM authorises it: one
// (function, action, resource ARN) per distinct call, appended as a JSON line to a file
// per function under a directory. The local engine does not enforce IAM; the records let
// tools/iamcheck evaluate every call against the function's policies as AWS would.
//
// It is a test switch: a deployment turns it on with the AwsCallRecordDir parameter
// (the AWS_CALL_RECORD_DIR environment variable), which the template's Rules refuse for
// Stage=prod. When it is off nothing is added to the SDK's middleware stack, so it costs
// nothing.
package callrecord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// DirEnv names the directory records are appended to; unset or empty turns recording off.
const DirEnv = "AWS_CALL_RECORD_DIR"

// unknownAccount stands for the account when a call's context carries no Lambda
// invocation (the check then reports the call instead of guessing).
const unknownAccount = "unknown-account"

// entry is one call as IAM sees it, as written.
type entry struct {
	Function string `json:"function"`
	Action   string `json:"action"`
	Resource string `json:"resource"`
}

// Recorder appends each distinct call once per file: once per process, and once again
// after the file was removed (a new run's records start from an empty directory while
// a warm process lives on).
type Recorder struct {
	function string
	dir      string
	path     string
	mu       sync.Mutex
	seen     map[entry]bool
	file     *os.File
	info     os.FileInfo
}

// Open starts recording the calls of function into dir/<function>.jsonl. Appends of
// one line each are atomic on a local file system, so the processes of one function
// share the file.
func Open(dir, function string) (*Recorder, error) {
	if function == "" {
		function = "unknown-function"
	}
	r := &Recorder{function: function, dir: dir, path: filepath.Join(dir, filepath.Base(function)+".jsonl")}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// open (re)opens the file, forgetting what was written to an earlier one.
func (r *Recorder) open() error {
	if r.file != nil {
		_ = r.file.Close()
		r.file = nil
	}
	if err := os.MkdirAll(r.dir, 0o750); err != nil {
		return fmt.Errorf("call records: %w", err)
	}
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600) //nolint:gosec // the test deployment's own directory
	if err != nil {
		return fmt.Errorf("call records: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("call records: %w", err)
	}
	r.file, r.info, r.seen = f, info, map[entry]bool{}
	return nil
}

// AddTo puts the recorder on an SDK middleware stack (for aws.Config.APIOptions).
func (r *Recorder) AddTo(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordAWSCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.record(ctx, in.Parameters)
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (r *Recorder) record(ctx context.Context, params any) {
	service := awsmiddleware.GetServiceID(ctx)
	operation := awsmiddleware.GetOperationName(ctx)
	where := location{region: awsmiddleware.GetRegion(ctx), account: accountOf(ctx)}
	for _, c := range callsOf(service, operation, params, where) {
		r.write(entry{Function: r.function, Action: c.Action, Resource: c.Resource})
	}
}

func (r *Recorder) write(rec entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now, err := os.Stat(r.path); err != nil || !os.SameFile(now, r.info) {
		if r.open() != nil {
			return
		}
	}
	if r.seen[rec] {
		return
	}
	r.seen[rec] = true
	line, err := json.Marshal(rec)
	if err != nil {
		return
	}
	// A failed open or write leaves a call unrecorded; the check then misses it, as it
	// would miss a call no test makes. Nothing about the call itself changes.
	_, _ = r.file.Write(append(line, '\n'))
}

// accountOf reads the account from the invoked function's ARN in a Lambda invocation's
// context.
func accountOf(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		if parts := strings.Split(lc.InvokedFunctionArn, ":"); len(parts) > 4 && parts[4] != "" {
			return parts[4]
		}
	}
	return unknownAccount
}

// call is one action on one resource.
type call struct {
	Action   string
	Resource string
}

type location struct{ region, account string }

// servicePrefixes maps the SDK's service ids to IAM's action prefixes where they differ
// from the lower-cased id without spaces.
var servicePrefixes = map[string]string{
	"SFN":             "states",
	"Secrets Manager": "secretsmanager",
	"CloudWatch Logs": "logs",
	"SESv2":           "ses",
}

// batchActions are SDK operations that IAM authorises as another action.
var batchActions = map[string]string{
	"sns:PublishBatch":                   "sns:Publish",
	"sqs:SendMessageBatch":               "sqs:SendMessage",
	"sqs:DeleteMessageBatch":             "sqs:DeleteMessage",
	"sqs:ChangeMessageVisibilityBatch":   "sqs:ChangeMessageVisibility",
	"secretsmanager:BatchGetSecretValue": "secretsmanager:GetSecretValue",
}

// arnTypes is the resource type segment of an ARN made from a bare name, per service.
var arnTypes = map[string]string{
	"secretsmanager": "secret:",
	"states":         "stateMachine:",
	"kms":            "key/",
	"lambda":         "function:",
	"ses":            "identity/",
}

// prefixOf is IAM's action prefix of an SDK service id.
func prefixOf(service string) string {
	if p, ok := servicePrefixes[service]; ok {
		return p
	}
	return strings.ToLower(strings.ReplaceAll(service, " ", ""))
}

// callsOf is what IAM authorises for one SDK operation with its input: for DynamoDB the
// table (or index) it names, and for a transaction each item's own action on its table
// (TransactWriteItems and TransactGetItems are not IAM actions); elsewhere the ARN the
// input names (topic, state machine, secret, key, queue).
func callsOf(service, operation string, params any, where location) []call {
	prefix := prefixOf(service)
	v := reflect.Indirect(reflect.ValueOf(params))
	if prefix == "dynamodb" {
		return dynamoCalls(operation, v, where)
	}
	action := prefix + ":" + operation
	if a, ok := batchActions[action]; ok {
		action = a
	}
	return []call{{Action: action, Resource: resourceOf(prefix, v, where)}}
}

// transactParts are the members of a TransactWriteItem / TransactGetItem and the IAM
// action each is authorised as.
var transactParts = []struct{ field, action string }{
	{"ConditionCheck", "ConditionCheckItem"},
	{"Put", "PutItem"},
	{"Update", "UpdateItem"},
	{"Delete", "DeleteItem"},
	{"Get", "GetItem"},
}

func dynamoCalls(operation string, v reflect.Value, where location) []call {
	switch operation {
	case "TransactWriteItems", "TransactGetItems":
		var calls []call
		items := field(v, "TransactItems")
		for i := 0; items.IsValid() && i < items.Len(); i++ {
			item := reflect.Indirect(items.Index(i))
			for _, p := range transactParts {
				part := reflect.Indirect(field(item, p.field))
				if part.IsValid() {
					calls = append(calls, call{Action: "dynamodb:" + p.action, Resource: tableARN(where, text(part, "TableName"), "")})
				}
			}
		}
		return calls
	case "BatchGetItem", "BatchWriteItem":
		var calls []call
		items := field(v, "RequestItems")
		if items.IsValid() && items.Kind() == reflect.Map {
			for _, k := range items.MapKeys() {
				calls = append(calls, call{Action: "dynamodb:" + operation, Resource: tableARN(where, k.String(), "")})
			}
		}
		return calls
	}
	table := text(v, "TableName")
	if table == "" {
		return []call{{Action: "dynamodb:" + operation, Resource: "*"}}
	}
	return []call{{Action: "dynamodb:" + operation, Resource: tableARN(where, table, text(v, "IndexName"))}}
}

func tableARN(where location, table, index string) string {
	if strings.HasPrefix(table, "arn:") { // a table may be named by its ARN
		return table
	}
	arn := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", where.region, where.account, table)
	if index != "" {
		arn += "/index/" + index
	}
	return arn
}

// arnFields are the input fields that name a call's resource, in the order tried.
// (SES authorises sending against the sender's identity.)
var arnFields = []string{"TopicArn", "TargetArn", "StateMachineArn", "ExecutionArn", "SecretId", "KeyId", "FunctionName", "FromEmailAddress"}

func resourceOf(prefix string, v reflect.Value, where location) string {
	if q := text(v, "QueueUrl"); q != "" {
		return queueARN(q, where)
	}
	for _, f := range arnFields {
		if s := text(v, f); s != "" {
			if strings.HasPrefix(s, "arn:") {
				return s
			}
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s%s", prefix, where.region, where.account, arnTypes[prefix], s)
		}
	}
	return "*"
}

// queueARN turns a queue URL (…/<account>/<name>) into the queue's ARN.
func queueARN(queueURL string, where location) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return "*"
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return "*"
	}
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", where.region, parts[len(parts)-2], parts[len(parts)-1])
}

func field(v reflect.Value, name string) reflect.Value {
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.FieldByName(name)
}

// text is a *string (or string) field's value, "" when absent.
func text(v reflect.Value, name string) string {
	f := reflect.Indirect(field(v, name))
	if f.IsValid() && f.Kind() == reflect.String {
		return f.String()
	}
	return ""
}
