package callrecord

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	ledgerARN = "arn:aws:dynamodb:us-east-1:123456789012:table/ledger"
	auditARN  = "arn:aws:dynamodb:us-east-1:123456789012:table/audit"
)

func TestCallsAsIAMSeesThem(t *testing.T) {
	where := location{region: "us-east-1", account: "123456789012"}
	tests := map[string]struct {
		service, operation string
		params             any
		want               []call
	}{
		"a get names its table": {"DynamoDB", "GetItem", &dynamodb.GetItemInput{TableName: aws.String("ledger")},
			[]call{{"dynamodb:GetItem", ledgerARN}}},
		"a query on an index names the index": {"DynamoDB", "Query", &dynamodb.QueryInput{TableName: aws.String("ledger"), IndexName: aws.String("by-owner")},
			[]call{{"dynamodb:Query", ledgerARN + "/index/by-owner"}}},
		"a transaction is authorised item by item": {"DynamoDB", "TransactWriteItems", &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
			{ConditionCheck: &ddbtypes.ConditionCheck{TableName: aws.String("ledger")}},
			{Put: &ddbtypes.Put{TableName: aws.String("audit")}},
			{Update: &ddbtypes.Update{TableName: aws.String("ledger")}},
			{Delete: &ddbtypes.Delete{TableName: aws.String("ledger")}},
		}}, []call{{"dynamodb:ConditionCheckItem", ledgerARN}, {"dynamodb:PutItem", auditARN}, {"dynamodb:UpdateItem", ledgerARN}, {"dynamodb:DeleteItem", ledgerARN}}},
		"a transactional read is GetItem per item": {"DynamoDB", "TransactGetItems", &dynamodb.TransactGetItemsInput{TransactItems: []ddbtypes.TransactGetItem{
			{Get: &ddbtypes.Get{TableName: aws.String("ledger")}},
		}}, []call{{"dynamodb:GetItem", ledgerARN}}},
		"a batch names each table": {"DynamoDB", "BatchGetItem", &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{"ledger": {}}},
			[]call{{"dynamodb:BatchGetItem", ledgerARN}}},
		"a publish names its topic": {"SNS", "Publish", &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:events")},
			[]call{{"sns:Publish", "arn:aws:sns:us-east-1:123456789012:events"}}},
		"Step Functions is states": {"SFN", "StartSyncExecution", &sfn.StartSyncExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:saga")},
			[]call{{"states:StartSyncExecution", "arn:aws:states:us-east-1:123456789012:stateMachine:saga"}}},
		"a secret by ARN": {"Secrets Manager", "GetSecretValue", &secretsmanager.GetSecretValueInput{SecretId: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf")},
			[]call{{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf"}}},
		"a secret by name": {"Secrets Manager", "GetSecretValue", &secretsmanager.GetSecretValueInput{SecretId: aws.String("key")},
			[]call{{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:key"}}},
		"a batch publish is authorised as Publish": {"SNS", "PublishBatch", &sns.PublishBatchInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:events")},
			[]call{{"sns:Publish", "arn:aws:sns:us-east-1:123456789012:events"}}},
		"a queue URL becomes the queue's ARN": {"SQS", "SendMessage", &sqs.SendMessageInput{QueueUrl: aws.String("http://127.0.0.1:4566/000000000000/review")},
			[]call{{"sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:review"}}},
		"SES v2 is ses, sending from an identity": {"SESv2", "SendEmail", &sesv2.SendEmailInput{FromEmailAddress: aws.String("no-reply@wallet.example.com")},
			[]call{{"ses:SendEmail", "arn:aws:ses:us-east-1:123456789012:identity/no-reply@wallet.example.com"}}},
		"no resource named is *": {"DynamoDB", "ListTables", &dynamodb.ListTablesInput{},
			[]call{{"dynamodb:ListTables", "*"}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.want, callsOf(tt.service, tt.operation, tt.params, where))
		})
	}
}

// A recorder on a real client's stack writes each distinct call once, with the account
// of the invocation.
func TestRecorderWritesEachCallOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	rec, err := Open(dir, "wallet-EarnRewardsFunction-abc")
	require.NoError(t, err)
	cfg := aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}
	cfg.APIOptions = append(cfg.APIOptions, rec.AddTo)
	client := dynamodb.NewFromConfig(cfg)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:wallet-EarnRewardsFunction-abc"})
	for range 3 {
		_, err = client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("ledger"), Key: map[string]ddbtypes.AttributeValue{}})
		require.NoError(t, err)
	}
	_, err = client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("ledger"), Item: map[string]ddbtypes.AttributeValue{}})
	require.NoError(t, err)

	assert.Equal(t, []entry{
		{Function: "wallet-EarnRewardsFunction-abc", Action: "dynamodb:GetItem", Resource: ledgerARN},
		{Function: "wallet-EarnRewardsFunction-abc", Action: "dynamodb:PutItem", Resource: "arn:aws:dynamodb:us-east-1:unknown-account:table/ledger"},
	}, readEntries(t, filepath.Join(dir, "wallet-EarnRewardsFunction-abc.jsonl")))

	// A new run empties the directory while this process lives on: the next call is
	// recorded again, in a new file.
	require.NoError(t, os.RemoveAll(dir))
	_, err = client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("ledger"), Key: map[string]ddbtypes.AttributeValue{}})
	require.NoError(t, err)
	assert.Equal(t, []entry{{Function: "wallet-EarnRewardsFunction-abc", Action: "dynamodb:GetItem", Resource: ledgerARN}},
		readEntries(t, filepath.Join(dir, "wallet-EarnRewardsFunction-abc.jsonl")))
}

func readEntries(t *testing.T, path string) []entry {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var got []entry
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var e entry
		require.NoError(t, json.Unmarshal(lines.Bytes(), &e))
		got = append(got, e)
	}
	require.NoError(t, lines.Err())
	return got
}
