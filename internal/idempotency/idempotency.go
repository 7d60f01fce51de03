// Package idempotency makes a write safe to retry. A stored record per (user, key)
// holds the request's hash, a status and, once done, the response. The same key with
// the same request replays the first response; with another request it is refused;
// while the first is still running the retry is told to wait.
//
// The record is completed in the same DynamoDB transaction as the write it guards
// (see Completion), so "money moved" and "response stored" are one fact: a crash after
// the commit leaves a completed record, a crash before it leaves an in-progress record
// that stops blocking after InProgressTTLSeconds, and a retry then runs the write anew.
package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/serverless-wallet/wallet/internal/problem"
)

// Record lifetimes and key limits.
const (
	RecordTTLSeconds     = 24 * 60 * 60
	InProgressTTLSeconds = 30 // longer than any function's timeout, so a live request is never overtaken
	KeyBytesMax          = 255
)

// Statuses of a record.
const (
	StatusInProgress = "IN_PROGRESS"
	StatusCompleted  = "COMPLETED"
)

// Errors a caller maps to the client.
var (
	ErrKeyRequired = problem.Invalid("idempotency_key_required", "the Idempotency-Key header is required")
	ErrKeyInvalid  = problem.Invalid("invalid_idempotency_key", "the Idempotency-Key must be 1 to 255 printable ASCII characters")
	ErrKeyReused   = problem.Unprocessable("idempotency_key_reused", "this Idempotency-Key was used with a different request")
	ErrInProgress  = &problem.Error{Kind: problem.KindConflict, Code: "request_in_progress",
		Message: "a request with this Idempotency-Key is still in progress; retry shortly", RetryAfterSeconds: 1}
)

// ValidateKey checks the header value.
func ValidateKey(key string) error {
	if key == "" {
		return ErrKeyRequired
	}
	if len(key) > KeyBytesMax {
		return ErrKeyInvalid
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return ErrKeyInvalid
		}
	}
	return nil
}

// Hash fingerprints a request: the operation, its target and its decoded body, so
// formatting differences in the JSON do not count as a different request.
func Hash(operation, target string, body any) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("idempotency: hash: %w", err)
	}
	h := sha256.New()
	_, _ = fmt.Fprintf(h, "%s\n%s\n", operation, target)
	_, _ = h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Response is a stored answer.
type Response struct {
	Outcome string // what the write did (op.Outcome)
	Body    []byte
}

// Claim is a caller's hold on a key: whoever holds the token may complete or release it.
type Claim struct {
	UserID string
	Key    string
	Hash   string
	Token  string
}

// Completion is what a store writes, inside the guarded transaction, to complete a
// claim with its response.
type Completion struct {
	Claim    Claim
	Response Response
}

// Store keeps records.
type Store interface {
	// Begin claims the key. When the key already has a live record it returns that
	// record's state instead: a completed response, ErrInProgress or ErrKeyReused.
	Begin(ctx context.Context, c Claim, now time.Time) (replay *Response, err error)
	// Release deletes a claim whose request failed without changing anything.
	Release(ctx context.Context, c Claim) error
}

// NewClaim builds a claim with a fresh token.
func NewClaim(userID, key, hash string) Claim {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return Claim{UserID: userID, Key: key, Hash: hash, Token: hex.EncodeToString(b[:])}
}
