package coldstart

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/serverless-wallet/wallet/internal/deploy"
	"github.com/serverless-wallet/wallet/internal/secrets"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name string
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 90, 7 * time.Millisecond},
		{"odd median", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"even median is the middle mean", ms(4, 1, 3, 2), 50, 2500 * time.Microsecond},
		{"p90 of ten is the ninth", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 90, 9 * time.Millisecond},
		{"p90 of five is the max", ms(1, 2, 3, 4, 5), 90, 5 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append([]time.Duration(nil), c.in...)
			assert.Equal(t, c.want, Percentile(c.in, c.p))
			assert.Equal(t, in, c.in, "the input is not reordered")
		})
	}
}

func TestAnswerSummary(t *testing.T) {
	cases := []struct {
		name string
		s    Sample
		want string
	}{
		{"API response", Sample{Status: 200, Answer: []byte(`{"statusCode":404,"body":"{}"}`)}, "statusCode 404"},
		{"Lambda error", Sample{Status: 200, Answer: []byte(`{"errorMessage":"x","errorType":"BusinessRefusal"}`)}, "error BusinessRefusal"},
		{"init failure", Sample{Status: 502, Answer: []byte(`{"errorType":"Runtime.ExitError"}`)}, "HTTP 502 error Runtime.ExitError"},
		{"other body", Sample{Status: 200, Answer: []byte(`"hello"`)}, "`\"hello\"`"},
		{"long body is cut, pipes escaped", Sample{Status: 200, Answer: []byte(`{"a":"0123456789|0123456789012345678901234567890123456789"}`)},
			"`{\"a\":\"0123456789\\|01234567890123456789012…`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.want, AnswerSummary(c.s)) })
	}
}

func fakeConfig(t *testing.T) aws.Config {
	t.Helper()
	fake, err := StartFakeAWS()
	require.NoError(t, err)
	t.Cleanup(func() { _ = fake.Close() })
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", "")}
}

// The login and the authorizer read their signing keys at init: the fake must give them
// a current key and no previous one, as a secret never rotated.
func TestFakeAWSServesTheSigningKeys(t *testing.T) {
	keys := secrets.SigningKeys{API: secretsmanager.NewFromConfig(fakeConfig(t)), SecretID: "arn:bench"}
	ring, err := keys.Keyring(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "bench-key-1", ring.Current.ID)
	assert.Equal(t, benchSigningKey, string(ring.Current.Secret))
	assert.Nil(t, ring.Previous)
}

func TestFakeAWSAnswersDynamoDBAndSNS(t *testing.T) {
	cfg := fakeConfig(t)
	ctx := context.Background()
	got, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "x"}}})
	require.NoError(t, err)
	assert.Empty(t, got.Item)
	_, err = sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:bench"), Message: aws.String("m")})
	require.NoError(t, err)
}

// This test binary builds the three clients above, so its function table has them.
func TestLinkedServicesReadsTheFunctionTable(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	links, err := LinkedServices(exe)
	require.NoError(t, err)
	assert.Subset(t, links.Clients, []string{"dynamodb", "secretsmanager", "sns"})
	assert.NotContains(t, links.Clients, "sfn")
}

// Every variable template.yaml gives a function (its Globals and each function's own)
// is in the bench's environment, MAIL_FROM for exactly the functions the template gives
// it to: a function missing a variable, or given MAIL_FROM without a mailer, fails at
// init and has no cold start to measure.
func TestFunctionEnvCoversTheTemplate(t *testing.T) {
	body, err := os.ReadFile("../../template.yaml")
	require.NoError(t, err)
	template, err := deploy.ParseTemplate(body)
	require.NoError(t, err)
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(body, &root))
	names, mailing := map[string]bool{}, map[string]bool{}
	variables := func(props *yaml.Node) []string {
		var out []string
		vars := deploy.MapValue(deploy.MapValue(props, "Environment"), "Variables")
		for j := 0; vars != nil && j+1 < len(vars.Content); j += 2 {
			out = append(out, vars.Content[j].Value)
		}
		return out
	}
	for _, name := range variables(deploy.MapValue(deploy.MapValue(root.Content[0], "Globals"), "Function")) {
		names[name] = true
	}
	for _, a := range template.Artifacts() {
		if a.Property != "CodeUri" {
			continue
		}
		props := deploy.MapValue(deploy.MapValue(deploy.MapValue(root.Content[0], "Resources"), a.LogicalID), "Properties")
		for _, name := range variables(props) {
			names[name] = true
			if name == "MAIL_FROM" {
				mailing[filepath.Base(a.LocalPath)] = true
			}
		}
	}
	require.Greater(t, len(names), 10)
	for name := range names {
		_, ok := FunctionEnv[name]
		assert.True(t, ok || name == "MAIL_FROM", "template.yaml sets %s for a function; the bench does not", name)
	}
	assert.Equal(t, mailingFunctions, mailing)
	assert.Contains(t, Environment("http://127.0.0.1:1", "/tmp/h", "signup"), "MAIL_FROM="+mailFrom)
	assert.NotContains(t, Environment("http://127.0.0.1:1", "/tmp/h", "verify"), "MAIL_FROM="+mailFrom)
}

func TestEnvironmentCarriesTheSettingsAndNoHostVariables(t *testing.T) {
	t.Setenv("AWS_PROFILE", "someone")
	env := Environment("http://127.0.0.1:1", "/tmp/h", "health")
	assert.Contains(t, env, "AWS_ENDPOINT_URL=http://127.0.0.1:1")
	assert.Contains(t, env, "AWS_LAMBDA_FUNCTION_NAME=health")
	assert.Contains(t, env, "LEDGER_TABLE=bench-ledger")
	for _, kv := range env {
		assert.NotContains(t, kv, "AWS_PROFILE")
	}
}

func TestVerdict(t *testing.T) {
	// A first invoke of total ms, of which warm ms is the handler's own work.
	sample := func(total, warm int) []Sample {
		return []Sample{{Total: time.Duration(total) * time.Millisecond, Warm: time.Duration(warm) * time.Millisecond, Status: 200}}
	}
	results := []Result{
		{Function: Function{Name: "hello"}, Bytes: 6_000_000, Samples: sample(11, 1)},
		{Function: Function{Name: "fast"}, Bytes: 10_000_000, Samples: sample(65, 50)}, // slow handler, cheap start
		{Function: Function{Name: "slow"}, Bytes: 16_000_000, Samples: sample(17, 1)},
		{Function: Function{Name: "dead"}, Bytes: 9_000_000},
	}
	assert.Equal(t, "size goal (≤ 15000000 bytes): 2 of 3 within, largest 16000000, over: slow; "+
		"cold start goal (median ≤ 1.5× hello-world): 1 of 3 within, over: slow (1.60×), dead (no answer)", Verdict(results, "hello"))
}
