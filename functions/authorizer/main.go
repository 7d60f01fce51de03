// Command authorizer is the REST API's Lambda TOKEN authorizer.
package main

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		tokens, err := d.Tokens(ctx)
		if err != nil {
			return nil, err
		}
		return apigw.Authorizer(d.Log, tokens), nil
	})
}
