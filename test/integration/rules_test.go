//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProductionRefusesTestSwitches asks the engine's CloudFormation to create a stack
// from template.yaml's own Parameters and Rules (with one harmless resource): a prod
// stage with FaultInjection, MeterDynamoDB or AwsCallRecordDir on is refused by the template's Rules
// before anything is created; a prod stage with both off is accepted.
func TestProductionRefusesTestSwitches(t *testing.T) {
	body := rulesTemplate(t)
	cfn := cloudformation.NewFromConfig(awsConfig(t))
	ctx := context.Background()
	tests := map[string]struct {
		params  map[string]string
		refused bool
	}{
		"prod with fault injection":  {map[string]string{"Stage": "prod", "FaultInjection": "true"}, true},
		"prod with metering":         {map[string]string{"Stage": "prod", "MeterDynamoDB": "true"}, true},
		"prod recording AWS calls":   {map[string]string{"Stage": "prod", "AwsCallRecordDir": "/tmp/calls"}, true},
		"prod without test switches": {map[string]string{"Stage": "prod"}, false},
		"dev with fault injection":   {map[string]string{"Stage": "dev", "FaultInjection": "true"}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			stack := fmt.Sprintf("rules-%s-%d", runID, uniq.Add(1))
			var params []cfntypes.Parameter
			for k, v := range tt.params {
				params = append(params, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
			}
			_, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(body), Parameters: params})
			if tt.refused {
				require.Error(t, err, "the Rules refuse it")
				assert.Regexp(t, "must be (false|empty) when Stage is prod", err.Error())
				return
			}
			require.NoError(t, err)
			t.Cleanup(func() {
				_, derr := cfn.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(stack)})
				assert.NoError(t, derr)
			})
			var status cfntypes.StackStatus
			err = pollUntil(time.Now().Add(30*time.Second), pollInterval, func() (bool, error) {
				out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
				if err != nil || len(out.Stacks) == 0 {
					return false, errors.Join(err, errors.New("no such stack"))
				}
				status = out.Stacks[0].StackStatus
				return !strings.HasSuffix(string(status), "_IN_PROGRESS"), nil
			})
			require.NoError(t, err)
			assert.Equal(t, cfntypes.StackStatusCreateComplete, status)
		})
	}
}

// rulesTemplate is template.yaml's Parameters and Rules sections with one resource.
func rulesTemplate(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	require.NoError(t, err)
	text := string(b)
	section := func(name, next string) string {
		start := strings.Index(text, "\n"+name+":\n")
		end := strings.Index(text, "\n"+next+":\n")
		require.True(t, start >= 0 && end > start, "template.yaml has %s before %s", name, next)
		return text[start+1 : end+1]
	}
	return "AWSTemplateFormatVersion: \"2010-09-09\"\n" + section("Parameters", "Rules") + section("Rules", "Globals") +
		"Resources:\n  Marker:\n    Type: AWS::SNS::Topic\n"
}
