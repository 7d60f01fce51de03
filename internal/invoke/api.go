package invoke

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/serverless-wallet/wallet/internal/chaos"
	"github.com/serverless-wallet/wallet/internal/mailbox"
)

// Waiting for what the stack does after an answer (a saga, a notification, reward
// points): how often to look, and for how long at most.
const (
	pollEvery = 250 * time.Millisecond
	pollMax   = 90 * time.Second
)

// API is what the seed does through the deployed API, like a user would: the HTTP
// client (which retries what a careful client retries) and the local mail catcher the
// verification codes are read from.
type API struct {
	Client *chaos.Client
	Mail   *mailbox.Box
}

// Session is one login: its access token, refresh token and session id.
type Session struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	SessionID    string `json:"session_id"`
}

// errVerifiedBefore: the address's latest code was used already (an address signed up
// and verified by an earlier run on the same stack).
var errVerifiedBefore = errors.New("the latest code was used before")

// call sends a request until its answer is definitive and wants the status want; the
// body, when out is not nil, is decoded into out.
func (a *API) call(ctx context.Context, what, method, path, token, key string, body any, want int, out any) error {
	r, err := a.Client.Settle(ctx, method, path, token, key, body)
	if err != nil || r.Status != want {
		return chaos.Unexpected(what, r, err)
	}
	if out == nil {
		return nil
	}
	return r.Decode(out)
}

// Signup signs an address up (202 whether or not it exists) without verifying it.
func (a *API) Signup(ctx context.Context, email, password, name string) error {
	return a.call(ctx, "signup "+email, "POST", "/v1/auth/signup", "", "",
		map[string]string{"email": email, "password": password, "name": name}, http.StatusAccepted, nil)
}

// Code is the latest code emailed to an address.
func (a *API) Code(ctx context.Context, email string) (string, error) {
	return a.Mail.LatestCode(ctx, email)
}

// Verify verifies an address with the latest code emailed to it; errVerifiedBefore when
// that code was used already.
func (a *API) Verify(ctx context.Context, email string) error {
	code, err := a.Code(ctx, email)
	if err != nil {
		return err
	}
	r, err := a.Client.Settle(ctx, "POST", "/v1/auth/verify", "", "", map[string]string{"email": email, "code": code})
	if err == nil && r.Status == http.StatusBadRequest && r.Code() == "invalid_code" {
		return errVerifiedBefore
	}
	if err != nil || r.Status != http.StatusOK {
		return chaos.Unexpected("verify "+email, r, err)
	}
	return nil
}

// Login logs an address in.
func (a *API) Login(ctx context.Context, email, password string) (Session, error) {
	var s Session
	err := a.call(ctx, "login "+email, "POST", "/v1/auth/login", "", "",
		map[string]string{"email": email, "password": password}, http.StatusOK, &s)
	return s, err
}

// VerifiedUser signs an address up, verifies it (unless an earlier run did) and logs it
// in; it returns the session and the user's id.
func (a *API) VerifiedUser(ctx context.Context, email, password, name string) (Session, string, error) {
	if err := a.Signup(ctx, email, password, name); err != nil {
		return Session{}, "", err
	}
	if err := a.Verify(ctx, email); err != nil && !errors.Is(err, errVerifiedBefore) {
		return Session{}, "", err
	}
	s, err := a.Login(ctx, email, password)
	if err != nil {
		return Session{}, "", err
	}
	id, err := a.UserID(ctx, s.AccessToken)
	return s, id, err
}

// UserID is the id of the user a token names (GET /v1/me).
func (a *API) UserID(ctx context.Context, token string) (string, error) {
	var me struct {
		ID string `json:"id"`
	}
	err := a.call(ctx, "me", "GET", "/v1/me", token, "", nil, http.StatusOK, &me)
	return me.ID, err
}

// created is the part of a created item's answer the seed keeps.
type created struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// Create POSTs body to path and wants 201 Created (or 200, a replay).
func (a *API) Create(ctx context.Context, what, path, token, key string, body any) (created, error) {
	var c created
	r, err := a.Client.Settle(ctx, "POST", path, token, key, body)
	if err != nil || (r.Status != http.StatusCreated && r.Status != http.StatusOK && r.Status != http.StatusAccepted) {
		return c, chaos.Unexpected(what, r, err)
	}
	if err := r.Decode(&c); err != nil {
		return c, err
	}
	if c.ID == "" {
		return c, fmt.Errorf("%s: no id in %s", what, r.Body)
	}
	return c, nil
}

// Await GETs path until done accepts its 200 answer's body.
func (a *API) Await(ctx context.Context, what, path, token string, done func(body []byte) bool) error {
	deadline := time.Now().Add(pollMax)
	for {
		r, err := a.Client.Settle(ctx, "GET", path, token, "", nil)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if r.Status == http.StatusOK && done(r.Body) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %s, last %d %s", what, pollMax, r.Status, r.Body)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// Found GETs path and reports whether it answers 200 (404: not, anything else: error).
func (a *API) Found(ctx context.Context, path, token string) (bool, []byte, error) {
	r, err := a.Client.Settle(ctx, "GET", path, token, "", nil)
	switch {
	case err != nil:
		return false, nil, err
	case r.Status == http.StatusOK:
		return true, r.Body, nil
	case r.Status == http.StatusNotFound:
		return false, r.Body, nil
	}
	return false, r.Body, chaos.Unexpected("GET "+path, r, nil)
}
