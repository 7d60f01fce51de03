// Command login serves POST /v1/auth/login.
package main

import (
	"context"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/app"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		users, err := d.UserService(ctx, true)
		if err != nil {
			return nil, err
		}
		return apigw.Handle(d.Log, apigw.Login(users)), nil
	})
}
