// Package saga starts the transfer saga in Step Functions (an Express state machine,
// run synchronously) and reports how it ended.
package saga

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/serverless-wallet/wallet/internal/transfer"
)

// API is the part of Step Functions the runner calls.
type API interface {
	StartSyncExecution(context.Context, *sfn.StartSyncExecutionInput, ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error)
}

var (
	_ API             = (*sfn.Client)(nil)
	_ transfer.Runner = (*Runner)(nil)
)

// Runner runs the transfer state machine.
type Runner struct {
	SFN             API
	StateMachineArn string
}

// executionNameBytesMax is Step Functions' limit on execution names.
const executionNameBytesMax = 80

// ExecutionName derives the execution's name from the transfer: <id>-<phase>[-<attempt>].
func ExecutionName(in transfer.SagaInput) string {
	name := in.TransferID + "-" + in.Phase
	if in.Attempt > 0 {
		name = fmt.Sprintf("%s-%d", name, in.Attempt)
	}
	if len(name) > executionNameBytesMax {
		name = name[:executionNameBytesMax]
	}
	return name
}

// Run starts the execution and waits for it (or for ctx). The saga records its outcome
// on the transfer itself, so an error here means only that it did not finish cleanly.
func (r *Runner) Run(ctx context.Context, in transfer.SagaInput) error {
	input, err := json.Marshal(in)
	if err != nil {
		return err
	}
	out, err := r.SFN.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(r.StateMachineArn),
		Name:            aws.String(ExecutionName(in)),
		Input:           aws.String(string(input)),
	})
	if err != nil {
		return fmt.Errorf("start saga %s: %w", ExecutionName(in), err)
	}
	if out.Status != sfntypes.SyncExecutionStatusSucceeded {
		return fmt.Errorf("saga %s ended %s: %s: %s", ExecutionName(in), out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	return nil
}
