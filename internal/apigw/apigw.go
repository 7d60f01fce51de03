// Package apigw adapts API Gateway REST API (Lambda proxy) events to the domain: it
// decodes requests, identifies the caller, encodes responses and maps errors to HTTP
// statuses in one table. Handlers built with Handle never return a Lambda error, so a
// client always gets the API's JSON error shape.
package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-wallet/wallet/internal/metrics"
	"github.com/serverless-wallet/wallet/internal/op"
	"github.com/serverless-wallet/wallet/internal/problem"
	"github.com/serverless-wallet/wallet/internal/retry"
)

// RequestBodyBytesMax is the largest request body the API accepts.
const RequestBodyBytesMax = 64 * 1024

// workShare is the part of the time left before the function's timeout that a handler
// may use; the rest is kept to answer, so that a slow dependency gets the client a 503
// with Retry-After from us instead of a 502 from the gateway when the platform kills
// the function.
const workShare = 0.9

// ErrTimeout answers a request whose work ran out of time. Nothing it did is lost or
// half-done (every write is one transaction, completed with its idempotency record),
// so the same request may be sent again with the same Idempotency-Key.
var ErrTimeout = &problem.Error{Kind: problem.KindUnavailable, Code: "timeout", RetryAfterSeconds: 1,
	Message: "the request took too long; retry it with the same Idempotency-Key"}

// withWorkDeadline shortens ctx's deadline to workShare of the time left.
func withWorkDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	work, ok := retry.ShareOfTimeLeft(ctx, workShare)
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, work)
}

// statusOf is the one table from error kind to HTTP status.
var statusOf = map[problem.Kind]int{
	problem.KindInvalid:         http.StatusBadRequest,
	problem.KindUnauthenticated: http.StatusUnauthorized,
	problem.KindForbidden:       http.StatusForbidden,
	problem.KindNotFound:        http.StatusNotFound,
	problem.KindConflict:        http.StatusConflict,
	problem.KindUnprocessable:   http.StatusUnprocessableEntity,
	problem.KindRateLimited:     http.StatusTooManyRequests,
	problem.KindUnavailable:     http.StatusServiceUnavailable,
	problem.KindGone:            http.StatusGone,
}

// Request is an incoming REST API (Lambda proxy) request.
type Request struct {
	events.APIGatewayProxyRequest
}

// Route is the request's "METHOD /resource/{param}" key, as the OpenAPI document
// names the operation (the REST API's resource template, not the concrete path).
func (r *Request) Route() string { return r.HTTPMethod + " " + r.Resource }

// Response is what a handler answers: a status and a JSON body.
type Response struct {
	Status  int
	Body    any
	Raw     []byte // an already-encoded JSON body (a replayed response); wins over Body
	Headers map[string]string
}

// HandlerFunc serves one route.
type HandlerFunc func(ctx context.Context, r *Request) (Response, error)

// LambdaHandler is the signature lambda.Start receives.
type LambdaHandler func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// ErrorBody is the API's error shape.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// RequestIDHeader carries API Gateway's request id on every answer of a function: the
// id its log line has (api_request_id), for a client to quote.
const RequestIDHeader = "X-Request-Id"

// ReplayedHeader marks an answer replayed from an earlier request with the same
// Idempotency-Key.
const ReplayedHeader = "Idempotent-Replayed"

// Handle wraps fn: it counts the request against its caller's rate limit (limiter may
// be nil for none), logs one line per request with its correlation ids and maps any
// error to the API's error response, hiding internal errors from the client.
// It also counts, in m (nil: nothing), idempotent replays by route and rate-limit
// refusals by class.
func Handle(log *slog.Logger, limiter RequestLimiter, m *metrics.Emitter, fn HandlerFunc) LambdaHandler {
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		start := time.Now()
		req := &Request{ev}
		lg := log.With(
			slog.String("api_request_id", ev.RequestContext.RequestID),
			slog.String("route", req.Route()),
			slog.String("user_id", req.callerID()),
		)
		if id := ev.PathParameters["id"]; id != "" { // a transfer's or wallet's id: its story is found by it
			lg = lg.With(slog.String("resource_id", id))
		}
		work, cancel := withWorkDeadline(ctx)
		decision, err := admit(work, lg, limiter, m, req)
		if err == nil {
			err = mayMoveMoney(req)
		}
		var resp Response
		if err == nil {
			resp, err = fn(work, req)
		}
		cancel()
		if _, isProblem := problem.As(err); err != nil && !isProblem && errors.Is(err, context.DeadlineExceeded) {
			lg.WarnContext(ctx, "out of time", slog.String("error", err.Error()))
			err = ErrTimeout
		}
		if err != nil {
			resp = errorResponse(ctx, lg, err)
		}
		if decision != nil {
			resp.Headers = withHeaders(resp.Headers, decision.Headers())
		}
		resp.Headers = withHeaders(resp.Headers, map[string]string{RequestIDHeader: ev.RequestContext.RequestID})
		measure(m, req, resp)
		out := encode(resp)
		lg.InfoContext(ctx, "request", slog.Int("status", out.StatusCode),
			slog.Int64("duration_ms", time.Since(start).Milliseconds()))
		return out, nil
	}
}

// measure counts an idempotent replay, by route.
func measure(m *metrics.Emitter, req *Request, resp Response) {
	if resp.Headers[ReplayedHeader] == "true" {
		m.Put(metrics.IdempotentReplays, 1, []metrics.Dim{metrics.D("Route", req.Route())})
	}
}

// statusOfOutcome is the status each outcome of a guarded write is answered with.
var statusOfOutcome = map[op.Outcome]int{
	op.Created:  http.StatusCreated,
	op.Done:     http.StatusOK,
	op.Accepted: http.StatusAccepted,
}

var internalErrorBody = ErrorBody{ErrorDetail{Code: "internal_error", Message: "something went wrong; it has been logged"}}

func errorResponse(ctx context.Context, lg *slog.Logger, err error) Response {
	p, ok := problem.As(err)
	if !ok || statusOf[p.Kind] == 0 {
		lg.ErrorContext(ctx, "internal error", slog.String("error", err.Error()))
		return Response{Status: http.StatusInternalServerError, Body: internalErrorBody}
	}
	resp := problemResponse(p)
	if resp.Status >= http.StatusInternalServerError {
		lg.WarnContext(ctx, "unavailable", slog.String("error", err.Error()))
	}
	return resp
}

// problemResponse is the one place a client-facing error becomes a status and body.
func problemResponse(p *problem.Error) Response {
	resp := Response{Status: statusOf[p.Kind], Body: ErrorBody{ErrorDetail{Code: p.Code, Message: p.Message, Details: p.Details}}}
	if p.RetryAfterSeconds > 0 {
		resp.Headers = map[string]string{"Retry-After": strconv.Itoa(p.RetryAfterSeconds)}
	}
	return resp
}

// withHeaders adds extra to h, keeping h's own values.
func withHeaders(h, extra map[string]string) map[string]string {
	out := make(map[string]string, len(h)+len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for k, v := range h {
		out[k] = v
	}
	return out
}

func encode(r Response) events.APIGatewayProxyResponse {
	headers := map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
	for k, v := range r.Headers {
		headers[k] = v
	}
	body := []byte("{}")
	if r.Status == http.StatusNoContent {
		body = nil
	} else if r.Raw != nil {
		body = r.Raw
	} else if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			r.Status = http.StatusInternalServerError
			b = []byte(`{"error":{"code":"internal_error","message":"response encoding failed"}}`)
		}
		body = b
	}
	return events.APIGatewayProxyResponse{StatusCode: r.Status, Headers: headers, Body: string(body)}
}

// JSON is a shorthand for a Response with a body.
func JSON(status int, body any) (Response, error) { return Response{Status: status, Body: body}, nil }

// Header returns a request header by case-insensitive name.
func (r *Request) Header(name string) string { return headerOf(r.Headers, name) }

// limit reads the optional ?limit= page size; the service checks its range.
func (r *Request) limit(fallback int) (int, error) {
	s, ok := r.QueryStringParameters["limit"]
	if !ok {
		return fallback, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, problem.Invalid("invalid_limit", "limit must be an integer")
	}
	return n, nil
}

// Body returns the raw request body, decoded from base64 when API Gateway encoded it.
func (r *Request) Body() ([]byte, error) {
	if !r.IsBase64Encoded {
		return []byte(r.APIGatewayProxyRequest.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(r.APIGatewayProxyRequest.Body)
	if err != nil {
		return nil, problem.Invalid("invalid_body", "the request body is not valid base64")
	}
	return b, nil
}

// DecodeJSON decodes the body into v strictly: one JSON object, no unknown fields,
// at most RequestBodyBytesMax bytes.
func (r *Request) DecodeJSON(v any) error {
	body, err := r.Body()
	if err != nil {
		return err
	}
	if len(body) > RequestBodyBytesMax {
		return problem.Invalid("body_too_large", fmt.Sprintf("the request body exceeds %d bytes", RequestBodyBytesMax))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.Invalid("invalid_json", "a JSON object body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return problem.Invalid("invalid_json", "the body must hold exactly one JSON object")
	}
	return nil
}

func decodeProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	if p, ok := problem.As(err); ok { // a field's own UnmarshalJSON refused it
		return p
	}
	switch {
	case errors.As(err, &typeErr):
		return problem.Invalid("invalid_type", fmt.Sprintf("field %q has the wrong type", typeErr.Field))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return problem.Invalid("invalid_json", "the body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return problem.Invalid("unknown_field", "unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return problem.Invalid("invalid_json", "the body is not a valid JSON object")
	}
}
