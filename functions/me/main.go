// Command me serves GET /v1/me.
package main

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		users, err := d.UserService(ctx, false)
		if err != nil {
			return nil, err
		}
		return apigw.Handle(d.Log, apigw.Me(users)), nil
	})
}
