package apigw

import (
	"context"
	"net/http"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/user"
)

// PasswordUsers is what the password routes need from the user service.
type PasswordUsers interface {
	ChangePassword(ctx context.Context, userID, sessionID string, in user.PasswordChange) error
	RequestReset(ctx context.Context, in user.ResetRequest) error
	ConfirmReset(ctx context.Context, in user.ResetConfirm) error
}

var _ PasswordUsers = (*user.Service)(nil)

// resetSent is the answer to a reset request, whether or not the address has an account.
var resetSent = map[string]string{"status": "reset_sent"}

// ChangePassword answers POST /v1/auth/password: 204, and the caller's other sessions end.
func ChangePassword(users PasswordUsers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		in, err := bodyOf[user.PasswordChange](r)
		if err != nil {
			return Response{}, err
		}
		if err := users.ChangePassword(ctx, c.UserID, c.SessionID, in); err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusNoContent}, nil
	})
}

// PasswordReset answers POST /v1/auth/password-reset: 202 for any well-formed address.
func PasswordReset(users PasswordUsers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.ResetRequest](r)
		if err != nil {
			return Response{}, err
		}
		if err := users.RequestReset(ctx, in); err != nil {
			return Response{}, err
		}
		return JSON(http.StatusAccepted, resetSent)
	}
}

// PasswordResetConfirm answers POST /v1/auth/password-reset/confirm: 204, and every
// session of the user ends.
func PasswordResetConfirm(users PasswordUsers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in, err := bodyOf[user.ResetConfirm](r)
		if err != nil {
			return Response{}, err
		}
		if err := users.ConfirmReset(ctx, in); err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusNoContent}, nil
	}
}
