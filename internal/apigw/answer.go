package apigw

import (
	"context"
	"net/http"

	"github.com/serverless-wallet/wallet/internal/op"
)

// callerFunc serves one route for the request's signed-in caller.
type callerFunc func(ctx context.Context, r *Request, c op.Caller) (Response, error)

// forCaller runs h for the request's caller; a request without one is answered 401.
func forCaller(h callerFunc) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		c, err := r.Caller()
		if err != nil {
			return Response{}, err
		}
		return h(ctx, r, c)
	}
}

// pageFunc reads one page of a list for the caller.
type pageFunc[P any] func(ctx context.Context, r *Request, c op.Caller, limit int, cursor string) (P, error)

// paged serves a list route for the caller: the page read for ?limit= (fallback when
// absent; the service checks its range) and ?cursor=, answered 200.
func paged[P any](fallback int, read pageFunc[P]) HandlerFunc {
	return forCaller(func(ctx context.Context, r *Request, c op.Caller) (Response, error) {
		limit, err := r.limit(fallback)
		if err != nil {
			return Response{}, err
		}
		return ok(read(ctx, r, c, limit, r.QueryStringParameters["cursor"]))
	})
}

// bodyOf decodes the request's JSON body into a new T (see DecodeJSON).
func bodyOf[T any](r *Request) (T, error) {
	var in T
	err := r.DecodeJSON(&in)
	return in, err
}

// ok answers 200 with v, or err; it takes a service call's two results as they are.
func ok(v any, err error) (Response, error) { return answer(http.StatusOK, v, err) }

// created answers 201 with v, or err.
func created(v any, err error) (Response, error) { return answer(http.StatusCreated, v, err) }

func answer(status int, v any, err error) (Response, error) {
	if err != nil {
		return Response{}, err
	}
	return JSON(status, v)
}

// replayed answers a guarded write's result (see replayable), or err.
func replayed(res op.Result, err error) (Response, error) {
	if err != nil {
		return Response{}, err
	}
	return replayable(res), nil
}

// replayable answers a guarded write's result: its outcome's status and body, or its
// refusal as an error body; a replay says so in a header.
func replayable(res op.Result) Response {
	out := Response{Status: statusOfOutcome[res.Outcome], Raw: res.Body}
	if res.Refusal != nil {
		out = problemResponse(res.Refusal)
	}
	if out.Status == 0 {
		out = Response{Status: http.StatusInternalServerError, Body: internalErrorBody}
	}
	if res.Replayed {
		out.Headers = map[string]string{ReplayedHeader: "true"}
	}
	return out
}
