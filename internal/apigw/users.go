package apigw

import (
	"context"
	"net/http"

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
		var in user.SignupInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		u, err := users.Signup(ctx, in)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusCreated, u)
	}
}

// Login answers POST /v1/auth/login.
func Login(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		var in user.LoginInput
		if err := r.DecodeJSON(&in); err != nil {
			return Response{}, err
		}
		s, err := users.Login(ctx, in)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, s)
	}
}

// Me answers GET /v1/me.
func Me(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		u, err := users.Get(ctx, c.UserID)
		if err != nil {
			return Response{}, err
		}
		return JSON(http.StatusOK, u)
	}
}
