// Package op holds what every operation of the API shares, whichever domain it belongs
// to: who acts (Caller), what a guarded write answers (Outcome, Result) and running it
// once per Idempotency-Key (Guarded), and the shapes every domain checks the same way
// (ids, descriptions, cursors). It sits under the domain packages and imports none of
// them.
package op

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/serverless-wallet/wallet/internal/auth"
	"github.com/serverless-wallet/wallet/internal/idempotency"
	"github.com/serverless-wallet/wallet/internal/problem"
)

// Caller is the authenticated user an operation acts for.
type Caller struct {
	UserID string
	Role   string // auth.RoleUser or auth.RoleAdmin
	// RequestID is the API request the caller made (API Gateway's request id): the audit
	// trail and the logs name it.
	RequestID string
	// EmailVerified says the caller's token was issued after their email was verified;
	// money moves need it.
	EmailVerified bool
	SessionID     string // the login session of the caller's token
}

// IsAdmin reports whether the caller has the admin role.
func (c Caller) IsAdmin() bool { return c.Role == auth.RoleAdmin }

// Outcome is what a guarded write did; package apigw answers each with its status.
type Outcome string

// The outcomes.
const (
	Created  Outcome = "created"  // it made something new
	Done     Outcome = "done"     // it acted on something that exists
	Accepted Outcome = "accepted" // it is still running
)

// Result is a guarded write's answer: its outcome and JSON body, or the refusal it
// ended in (a transfer that ran and failed), and whether it replays an earlier answer.
type Result struct {
	Outcome  Outcome
	Body     []byte
	Refusal  *problem.Error
	Replayed bool
}

// Guarded runs fn under an idempotency claim: a replay answers with the stored
// response; a failure releases the claim so the same key may be retried.
func Guarded(ctx context.Context, idem idempotency.Store, now time.Time, claim idempotency.Claim, fn func(idempotency.Claim) (Result, error)) (Result, error) {
	replay, err := idem.Begin(ctx, claim, now)
	if err != nil {
		return Result{}, err
	}
	if replay != nil {
		return Result{Outcome: Outcome(replay.Outcome), Body: replay.Body, Replayed: true}, nil
	}
	res, err := fn(claim)
	if err != nil {
		if !errors.Is(err, idempotency.ErrInProgress) { // a lost claim belongs to someone else now
			if rerr := idem.Release(context.WithoutCancel(ctx), claim); rerr != nil {
				return Result{}, errors.Join(err, rerr)
			}
		}
		return Result{}, err
	}
	return res, nil
}

// DescriptionRunesMax is the longest description a movement may carry, in characters.
const DescriptionRunesMax = 140

// ValidateDescription checks a movement's description.
func ValidateDescription(d string) error {
	return ValidateText("description", d, DescriptionRunesMax)
}

// ValidateText checks a free-text field a person writes (a description, a reason): valid
// UTF-8, at most runesMax characters, no control characters. A refusal is 400
// invalid_<field>.
func ValidateText(field, s string, runesMax int) error {
	code := "invalid_" + field
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > runesMax {
		return problem.Invalid(code, fmt.Sprintf("%s must be at most %d characters", field, runesMax))
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return problem.Invalid(code, field+" must not contain control characters")
		}
	}
	return nil
}

// idPattern is the shape of every id the platform hands out (wallets, transfers): a
// lower-case UUID. Anything else is answered like an unknown id, before any read.
var idPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// IsID reports whether s has the shape of an id the platform hands out.
func IsID(s string) bool { return idPattern.MatchString(s) }

// CheckPageSize refuses a page size (?limit=) outside 1 to sizeMax: 400 invalid_limit.
func CheckPageSize(limit, sizeMax int) error {
	if limit < 1 || limit > sizeMax {
		return problem.Invalid("invalid_limit", fmt.Sprintf("limit must be an integer from 1 to %d", sizeMax))
	}
	return nil
}

// NextCursor is a page's next_cursor: the cursor of the next page, or nil (JSON null)
// on the last page, the same in every list the API answers.
func NextCursor(next string) *string {
	if next == "" {
		return nil
	}
	return &next
}

// ErrInvalidCursor refuses a paging cursor the API did not hand out.
var ErrInvalidCursor = problem.Invalid("invalid_cursor", "the cursor is not one this API returned")
