package saga_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/saga"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

const (
	transferID = "0c000000-0000-4000-8000-000000000003"
	arn        = "arn:aws:states:us-east-1:000000000000:stateMachine:transfer"
)

func TestExecutionName(t *testing.T) {
	long := strings.Repeat("t", 100)
	tests := map[string]struct {
		in   transfer.SagaInput
		want string
	}{
		"start":             {transfer.SagaInput{TransferID: transferID, Phase: transfer.PhaseStart}, transferID + "-start"},
		"settle":            {transfer.SagaInput{TransferID: transferID, Phase: transfer.PhaseSettle}, transferID + "-settle"},
		"restart attempt":   {transfer.SagaInput{TransferID: transferID, Phase: transfer.PhaseStart, Attempt: 1893553445}, transferID + "-start-1893553445"},
		"attempt one":       {transfer.SagaInput{TransferID: transferID, Phase: transfer.PhaseSettle, Attempt: 1}, transferID + "-settle-1"},
		"long id is capped": {transfer.SagaInput{TransferID: long, Phase: transfer.PhaseStart, Attempt: 7}, long[:80]},
		"exactly 80 bytes":  {transfer.SagaInput{TransferID: strings.Repeat("t", 74), Phase: "start"}, strings.Repeat("t", 74) + "-start"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := saga.ExecutionName(tt.in)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), 80)
		})
	}

	t.Run("phases and attempts differ", func(t *testing.T) {
		names := map[string]bool{}
		for _, in := range []transfer.SagaInput{
			{TransferID: transferID, Phase: transfer.PhaseStart},
			{TransferID: transferID, Phase: transfer.PhaseSettle},
			{TransferID: transferID, Phase: transfer.PhaseStart, Attempt: 1},
			{TransferID: transferID, Phase: transfer.PhaseStart, Attempt: 2},
		} {
			names[saga.ExecutionName(in)] = true
		}
		assert.Len(t, names, 4)
	})
}

// fakeSFN records the request and answers with out/err.
type fakeSFN struct {
	got *sfn.StartSyncExecutionInput
	out *sfn.StartSyncExecutionOutput
	err error
}

func (f *fakeSFN) StartSyncExecution(_ context.Context, in *sfn.StartSyncExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartSyncExecutionOutput, error) {
	f.got = in
	return f.out, f.err
}

func TestRun(t *testing.T) {
	apiErr := errors.New("ThrottlingException: rate exceeded")
	tests := map[string]struct {
		out          *sfn.StartSyncExecutionOutput
		err          error
		wantErr      bool
		wantContains []string
		wantIs       error
	}{
		"succeeded": {out: &sfn.StartSyncExecutionOutput{Status: sfntypes.SyncExecutionStatusSucceeded}},
		"failed": {out: &sfn.StartSyncExecutionOutput{Status: sfntypes.SyncExecutionStatusFailed,
			Error: aws.String("NeedsReview"), Cause: aws.String("a compensation kept failing")},
			wantErr: true, wantContains: []string{"FAILED", "NeedsReview", "a compensation kept failing", transferID}},
		"timed out": {out: &sfn.StartSyncExecutionOutput{Status: sfntypes.SyncExecutionStatusTimedOut},
			wantErr: true, wantContains: []string{"TIMED_OUT"}},
		"api error": {err: apiErr, wantErr: true, wantIs: apiErr, wantContains: []string{transferID + "-start"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			api := &fakeSFN{out: tt.out, err: tt.err}
			r := &saga.Runner{SFN: api, StateMachineArn: arn}
			in := transfer.SagaInput{TransferID: transferID, Phase: transfer.PhaseStart, Mode: transfer.ModeImmediate}

			err := r.Run(context.Background(), in)
			if tt.wantErr {
				require.Error(t, err)
				for _, s := range tt.wantContains {
					assert.Contains(t, err.Error(), s)
				}
				if tt.wantIs != nil {
					assert.ErrorIs(t, err, tt.wantIs)
				}
			} else {
				assert.NoError(t, err)
			}

			require.NotNil(t, api.got)
			assert.Equal(t, arn, aws.ToString(api.got.StateMachineArn))
			assert.Equal(t, transferID+"-start", aws.ToString(api.got.Name))
			var sent transfer.SagaInput
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(api.got.Input)), &sent))
			assert.Equal(t, in, sent)
			assert.JSONEq(t, `{"transfer_id":"`+transferID+`","phase":"start","mode":"immediate","attempt":0}`, aws.ToString(api.got.Input),
				"the state machine reads these snake_case keys")
		})
	}
}
