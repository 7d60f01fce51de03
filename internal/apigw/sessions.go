package apigw

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/user"
)

// Browser sessions: a request with ClientHeader: browser gets its refresh token in an
// HttpOnly cookie scoped to /v1/auth instead of the body, and refreshes with that cookie
// plus the header. The header is the CSRF defence: a cross-site page cannot send a custom
// header without a CORS preflight the API does not grant, and SameSite=Strict keeps the
// cookie off cross-site requests too.
const (
	ClientHeader  = "X-Wallet-Client"
	clientBrowser = "browser"
	RefreshCookie = "wallet_refresh"
	cookiePath    = "/v1/auth"
)

// SessionUsers is what the session routes need from the user service.
type SessionUsers interface {
	Refresh(ctx context.Context, in user.RefreshInput) (user.Session, error)
	EndSession(ctx context.Context, userID, sessionID string) error
	ListSessions(ctx context.Context, userID, currentID string) (user.SessionList, error)
}

var _ SessionUsers = (*user.Service)(nil)

func isBrowser(r *Request) bool { return strings.EqualFold(r.Header(ClientHeader), clientBrowser) }

func refreshCookie(value string, maxAge int) string {
	return fmt.Sprintf("%s=%s; HttpOnly; Secure; SameSite=Strict; Path=%s; Max-Age=%d", RefreshCookie, value, cookiePath, maxAge)
}

// sessionAnswer answers a login or refresh: the refresh token in the body for native
// clients, in the cookie for browsers.
func sessionAnswer(r *Request) func(user.Session, error) (Response, error) {
	return func(s user.Session, err error) (Response, error) {
		if err != nil {
			return Response{}, err
		}
		return sessionResponse(r, s)
	}
}

func sessionResponse(r *Request, s user.Session) (Response, error) {
	if !isBrowser(r) {
		return JSON(http.StatusOK, s)
	}
	cookie := refreshCookie(s.RefreshToken, s.RefreshExpiresIn)
	s.RefreshToken = ""
	return Response{Status: http.StatusOK, Body: s, Headers: map[string]string{"Set-Cookie": cookie}}, nil
}

// cookieValue reads one cookie of the request.
func cookieValue(r *Request, name string) string {
	h := http.Header{}
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Cookie") {
			h.Add("Cookie", v)
		}
	}
	for k, vs := range r.MultiValueHeaders {
		if strings.EqualFold(k, "Cookie") {
			for _, v := range vs {
				h.Add("Cookie", v)
			}
		}
	}
	c, err := (&http.Request{Header: h}).Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// Refresh answers POST /v1/auth/refresh.
func Refresh(users SessionUsers) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		in := user.RefreshInput{}
		if strings.TrimSpace(r.APIGatewayProxyRequest.Body) != "" {
			var err error
			if in, err = bodyOf[user.RefreshInput](r); err != nil {
				return Response{}, err
			}
		}
		if isBrowser(r) {
			if in.RefreshToken != "" {
				return Response{}, problem.Invalid("refresh_token_in_body", "a browser sends its refresh token in the cookie only")
			}
			in.RefreshToken = cookieValue(r, RefreshCookie)
		}
		in.IP = r.RequestContext.Identity.SourceIP
		return sessionAnswer(r)(users.Refresh(ctx, in))
	}
}

// Logout answers POST /v1/auth/logout: the caller's session ends (and its cookie).
func Logout(users SessionUsers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		if err := users.EndSession(ctx, c.UserID, c.SessionID); err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusNoContent, Headers: map[string]string{"Set-Cookie": refreshCookie("", 0)}}, nil
	})
}

// ListSessions answers GET /v1/auth/sessions.
func ListSessions(users SessionUsers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		return ok(users.ListSessions(ctx, c.UserID, c.SessionID))
	})
}

// DeleteSession answers DELETE /v1/auth/sessions/{id}.
func DeleteSession(users SessionUsers) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		if err := users.EndSession(ctx, c.UserID, r.PathParameters["id"]); err != nil {
			return Response{}, err
		}
		return Response{Status: http.StatusNoContent}, nil
	})
}
