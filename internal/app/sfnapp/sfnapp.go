// Package sfnapp is the part of the composition root that links the Step Functions
// client: the runner that starts the transfer saga. Only the functions that start sagas
// (create, capture and void a transfer) import it.
package sfnapp

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/serverless-wallet/wallet/internal/app"
	"github.com/serverless-wallet/wallet/internal/saga"
	"github.com/serverless-wallet/wallet/internal/transfer"
)

var _ app.SagaSource = Saga

// Saga builds the runner of the state machine TRANSFER_STATE_MACHINE_ARN.
func Saga(d *app.Deps) transfer.Runner {
	client := sfn.NewFromConfig(d.AWS, func(o *sfn.Options) {
		if os.Getenv("AWS_ENDPOINT_URL") != "" {
			// StartSyncExecution is served on the sync-<endpoint> host on AWS; an emulator
			// behind a custom endpoint (127.0.0.1) has no such host name.
			o.APIOptions = append(o.APIOptions, withoutHostPrefix)
		}
	})
	return &saga.Runner{SFN: client, StateMachineArn: d.Env("TRANSFER_STATE_MACHINE_ARN")}
}

func withoutHostPrefix(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("WithoutHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}
