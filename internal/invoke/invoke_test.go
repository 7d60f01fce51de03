package invoke

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeStack map[string]string

func (f fakeStack) DescribeStackResource(_ context.Context, in *cloudformation.DescribeStackResourceInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceOutput, error) {
	name, ok := f[aws.ToString(in.LogicalResourceId)]
	if !ok {
		return nil, errors.New("resource not found")
	}
	return &cloudformation.DescribeStackResourceOutput{StackResourceDetail: &cfntypes.StackResourceDetail{PhysicalResourceId: aws.String(name)}}, nil
}

type fakeFunctions struct {
	got *lambda.InvokeInput
	out *lambda.InvokeOutput
}

func (f *fakeFunctions) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.got = in
	return f.out, nil
}

func TestResolve(t *testing.T) {
	stack := fakeStack{"MeFunction": "wallet-MeFunction-abc"}
	name, err := Resolve(context.Background(), stack, "wallet", "MeFunction")
	require.NoError(t, err)
	assert.Equal(t, "wallet-MeFunction-abc", name)
	_, err = Resolve(context.Background(), stack, "wallet", "NoSuchFunction")
	assert.ErrorContains(t, err, "NoSuchFunction")
}

func TestRun(t *testing.T) {
	tests := []struct {
		name      string
		event     string
		out       *lambda.InvokeOutput
		want      Result
		wantError string
	}{
		{"an answer", `{"a":1}`, &lambda.InvokeOutput{Payload: []byte(`{"statusCode":200}`)}, Result{Payload: []byte(`{"statusCode":200}`)}, ""},
		{"a function error", `{}`, &lambda.InvokeOutput{Payload: []byte(`{"errorMessage":"Unauthorized"}`), FunctionError: aws.String("Unhandled")},
			Result{Payload: []byte(`{"errorMessage":"Unauthorized"}`), FunctionError: "Unhandled"}, ""},
		{"not JSON", `{`, nil, Result{}, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns := &fakeFunctions{out: tt.out}
			got, err := Run(context.Background(), fns, "f", []byte(tt.event))
			if tt.wantError != "" {
				assert.ErrorContains(t, err, tt.wantError)
				assert.Nil(t, fns.got, "nothing is invoked")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, "f", aws.ToString(fns.got.FunctionName))
			assert.JSONEq(t, tt.event, string(fns.got.Payload))
		})
	}
}
