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
	Verify(ctx context.Context, in user.VerifyInput) (user.User, error)
	Resend(ctx context.Context, in user.ResendInput) error
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

// verificationSent is the answer to a sign-up or a resend, whether or not the address
// has an account.
var verificationSent = map[string]string{"status": "verification_sent"}

// Signup answers POST /v1/auth/signup: 202 whether or not the address is taken.
func Signup(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.SignupInput](r)
		if err != nil {
			return Response{}, err
		}
		if _, err := users.Signup(ctx, in); err != nil {
			return Response{}, err
		}
		return JSON(http.StatusAccepted, verificationSent)
	}
}

// Verify answers POST /v1/auth/verify.
func Verify(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.VerifyInput](r)
		if err != nil {
			return Response{}, err
		}
		return ok(users.Verify(ctx, in))
	}
}

// VerifyResend answers POST /v1/auth/verify/resend: 202 for any well-formed address.
func VerifyResend(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.ResendInput](r)
		if err != nil {
			return Response{}, err
		}
		if err := users.Resend(ctx, in); err != nil {
			return Response{}, err
		}
		return JSON(http.StatusAccepted, verificationSent)
	}
}

// Login answers POST /v1/auth/login.
func Login(users Users) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.LoginInput](r)
		if err != nil {
			return Response{}, err
		}
		in.IP = r.RequestContext.Identity.SourceIP
		return sessionAnswer(r)(users.Login(ctx, in))
	}
}

// Me answers GET /v1/me.
func Me(users Users) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(users.Get(ctx, c.UserID))
	})
}
