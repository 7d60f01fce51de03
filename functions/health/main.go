// Command health serves GET /v1/health.
package main

import (
	"context"
	"os"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() {
	os.Exit(app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		return d.Serve(apigw.Health())
	}))
}
