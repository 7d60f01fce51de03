// Command health serves GET /v1/health.
package main

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		return d.Serve(apigw.Health())
	})
}
