// Package problem defines the errors the API reports to clients: a kind that maps to
// an HTTP status in one table (package apigw), a stable snake_case code, and a
// message safe to show. Anything that is not a *Error is internal and never shown.
package problem

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the client should do about it.
type Kind int

// The kinds, one per HTTP status class of the API contract.
const (
	KindInvalid         Kind = iota + 1 // 400: fix the request
	KindUnauthenticated                 // 401: log in
	KindForbidden                       // 403: not allowed for this caller
	KindNotFound                        // 404: absent or not yours
	KindConflict                        // 409: retry later or already exists
	KindUnprocessable                   // 422: a business rule refused it
	KindRateLimited                     // 429: slow down
	KindUnavailable                     // 503: try again after a while
	KindGone                            // 410: it existed, and can no longer be acted on
)

// Error is a client-facing error.
type Error struct {
	Kind              Kind
	Code              string
	Message           string
	RetryAfterSeconds int // for KindRateLimited and KindUnavailable; 0 when unknown
	Details           map[string]any
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Is matches another *Error by code, so errors.Is(err, problem.NotFound("…")) works
// with sentinel values.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// New builds an Error.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalid is a 400 error.
func Invalid(code, message string) *Error { return New(KindInvalid, code, message) }

// Unprocessable is a 422 error.
func Unprocessable(code, message string) *Error { return New(KindUnprocessable, code, message) }

// Sentinel errors shared by several packages.
var (
	ErrNotFound        = New(KindNotFound, "not_found", "the resource does not exist")
	ErrUnauthenticated = New(KindUnauthenticated, "unauthenticated", "a valid bearer token is required")
	ErrForbidden       = New(KindForbidden, "forbidden", "this action is not allowed for the caller")
)

// As returns err as a *Error when it is one.
func As(err error) (*Error, bool) {
	var p *Error
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}
