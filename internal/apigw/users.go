package apigw

import (
	"context"
	"net/http"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/user"
)

// Users is what the user routes need from the user service.
type Users interface {
	Signup(ctx context.Context, in user.SignupInput) (user.User, error)
	Login(ctx context.Context, in user.LoginInput) (user.Session, error)
	Get(ctx context.Context, id string) (user.User, error)
}

var _ Users = (*user.Service)(nil)

// Health answers GET /v1/health.
func Health() HandlerFunc {
	return func(context.Context, *Request) (Response, error) {
		return JSON(http.StatusOK, map[string]string{"status": "ok"})
	}
}

// Signup answers POST /v1/auth/signup.
func Signup(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.SignupInput](r)
		if err != nil {
			return Response{}, err
		}
		return created(users.Signup(ctx, in))
	}
}

// Login answers POST /v1/auth/login.
func Login(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.LoginInput](r)
		if err != nil {
			return Response{}, err
		}
		return ok(users.Login(ctx, in))
	}
}

// Me answers GET /v1/me.
func Me(users Users) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(users.Get(ctx, c.UserID))
	})
}
