package deploy

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const sample = `Transform: AWS::Serverless-2016-10-31
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  HealthFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/health/
      Environment:
        Variables:
          TABLE: !Ref Table
  Remote:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key.zip
  Saga:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/transfer.asl.json
      DefinitionSubstitutions:
        Fn: !GetAtt HealthFunction.Arn
  Api:
    Type: AWS::Serverless::Api
    Properties:
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters:
            Location: api/openapi.yaml
      Other:
        Fn::Transform:
          Name: AWS::Include
          Parameters:
            Location: s3://already/there.yaml
`

func TestTemplateArtifactsAndRewrite(t *testing.T) {
	tpl, err := ParseTemplate([]byte(sample))
	require.NoError(t, err)
	assert.Equal(t, []Artifact{
		{LogicalID: "Api", Property: "AWS::Include", LocalPath: "api/openapi.yaml"},
		{LogicalID: "HealthFunction", Property: "CodeUri", LocalPath: "functions/health"},
		{LogicalID: "Saga", Property: "DefinitionUri", LocalPath: "statemachines/transfer.asl.json"},
	}, tpl.Artifacts(), "remote URIs and other resources are left alone")

	tpl.SetArtifactURIs(map[string]string{"HealthFunction": "s3://b/h.zip", "Saga": "s3://b/s.json", "Api:api/openapi.yaml": "s3://b/api.yaml"})
	out, err := tpl.Bytes()
	require.NoError(t, err)
	s := string(out)
	assert.Contains(t, s, "CodeUri: s3://b/h.zip")
	assert.Contains(t, s, "DefinitionUri: s3://b/s.json")
	assert.Contains(t, s, "CodeUri: s3://bucket/key.zip")
	assert.Contains(t, s, "Location: s3://b/api.yaml")
	assert.Contains(t, s, "Location: s3://already/there.yaml")
	assert.Contains(t, s, "TABLE: !Ref Table", "CloudFormation tags survive")
	assert.Contains(t, s, "Fn: !GetAtt HealthFunction.Arn")
}

func TestParseTemplateRefusesNonMappings(t *testing.T) {
	for _, body := range []string{"", "- a\n- b\n", "key: [unclosed"} {
		_, err := ParseTemplate([]byte(body))
		assert.Error(t, err, "%q", body)
	}
}

func TestZipDirIsDeterministicAndExecutable(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("binary"), 0o600))
	a, err := ZipDir(dir)
	require.NoError(t, err)
	b, err := ZipDir(dir)
	require.NoError(t, err)
	assert.Equal(t, a, b, "same inputs, same bytes, same key")
	assert.Equal(t, NewBundle("functions", "Fn", ".zip", a).Key, NewBundle("functions", "Fn", ".zip", b).Key)

	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	require.NoError(t, err)
	require.Len(t, zr.File, 1)
	assert.Equal(t, "bootstrap", zr.File[0].Name)
	assert.Equal(t, os.FileMode(0o755), zr.File[0].Mode().Perm())

	_, err = ZipDir(t.TempDir())
	assert.Error(t, err, "an empty build directory is an error, not an empty function")
}

func TestLocalAPIURL(t *testing.T) {
	assert.Equal(t, "http://127.0.0.1:4566/_aws/execute-api/abc/dev", LocalAPIURL("http://127.0.0.1:4566/", "abc", "dev"))
}

const alarms = `Resources:
  Plain:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Statistic: Maximum
      Period: 60
      Threshold: 1
  Share:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: share
      Metrics:
        - Id: errors
          ReturnData: false
          MetricStat:
            Metric:
              Namespace: AWS/ApiGateway
              MetricName: 5XXError
              Dimensions:
                - Name: ApiName
                  Value: !Sub "${AWS::StackName}-api"
            Period: 300
            Stat: Sum
        - Id: rate
          Expression: errors * 100
          ReturnData: true
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Topic]
  Slow:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Metrics:
        - Id: e
          Expression: m * 2
        - Id: m
          MetricStat:
            Metric:
              Namespace: AWS/ApiGateway
              MetricName: Latency
            Period: 60
            Stat: p99
      Threshold: 1000
`

func TestFlattenMetricMathAlarms(t *testing.T) {
	tpl, err := ParseTemplate([]byte(alarms))
	require.NoError(t, err)
	ids, err := tpl.FlattenMetricMathAlarms()
	require.NoError(t, err)
	assert.Equal(t, []string{"Share", "Slow"}, ids)
	out, err := tpl.Bytes()
	require.NoError(t, err)
	var got struct {
		Resources map[string]struct {
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	require.NoError(t, yaml.Unmarshal(out, &got))
	assert.Equal(t, map[string]any{
		"AlarmDescription": "share", "Namespace": "AWS/ApiGateway", "MetricName": "5XXError",
		"Dimensions": []any{map[string]any{"Name": "ApiName", "Value": "${AWS::StackName}-api"}},
		"Statistic":  "Sum", "Period": 300, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
		"AlarmActions": []any{"Topic"},
	}, got.Resources["Share"].Properties)
	assert.Equal(t, "p99", got.Resources["Slow"].Properties["ExtendedStatistic"], "a percentile is an extended statistic")
	assert.NotContains(t, got.Resources["Slow"].Properties, "Metrics")
	assert.Equal(t, "Maximum", got.Resources["Plain"].Properties["Statistic"], "a single-metric alarm is left alone")
	assert.Contains(t, string(out), `!Sub "${AWS::StackName}-api"`, "tags are kept")
}

func TestFlattenMetricMathAlarmsNeedsAMetric(t *testing.T) {
	tpl, err := ParseTemplate([]byte("Resources:\n  A:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      Metrics:\n        - Id: e\n          Expression: ANOMALY_DETECTION_BAND(x)\n"))
	require.NoError(t, err)
	_, err = tpl.FlattenMetricMathAlarms()
	assert.ErrorContains(t, err, "A: metric math without a MetricStat")
}
