// Package invoke runs one deployed function of the stack with an event file: the
// no-Docker counterpart of `sam local invoke`, against whatever endpoint the AWS SDK is
// pointed at (the local engine, LocalStack or AWS). The events act on sample data the
// Seeder makes through the API once per stack; Values fills their {{placeholders}}.
package invoke

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Stack is the part of the CloudFormation client that Resolve uses.
type Stack interface {
	DescribeStackResource(ctx context.Context, in *cloudformation.DescribeStackResourceInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourceOutput, error)
}

// Functions is the part of the Lambda client that Run uses.
type Functions interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Result is what a function answered: its payload, and the error type it reported (the
// Lambda error, "Unhandled" or the error's type) when it failed.
type Result struct {
	Payload       json.RawMessage
	FunctionError string
}

// Resolve turns a template logical id (MeFunction) into the deployed function's name.
func Resolve(ctx context.Context, stack Stack, stackName, logicalID string) (string, error) {
	out, err := stack.DescribeStackResource(ctx, &cloudformation.DescribeStackResourceInput{
		StackName: aws.String(stackName), LogicalResourceId: aws.String(logicalID),
	})
	if err != nil {
		return "", fmt.Errorf("find %s in stack %s: %w", logicalID, stackName, err)
	}
	if out.StackResourceDetail == nil || aws.ToString(out.StackResourceDetail.PhysicalResourceId) == "" {
		return "", fmt.Errorf("stack %s has no deployed %s", stackName, logicalID)
	}
	return aws.ToString(out.StackResourceDetail.PhysicalResourceId), nil
}

// Run invokes a function synchronously with an event.
func Run(ctx context.Context, fns Functions, function string, event []byte) (Result, error) {
	if !json.Valid(event) {
		return Result{}, fmt.Errorf("the event is not JSON")
	}
	out, err := fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: event})
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", function, err)
	}
	return Result{Payload: out.Payload, FunctionError: aws.ToString(out.FunctionError)}, nil
}
