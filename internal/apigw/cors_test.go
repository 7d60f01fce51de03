package apigw

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/problem"
)

func TestParseCORS(t *testing.T) {
	tests := []struct {
		list    string
		wantOn  bool
		wantErr bool
	}{
		{list: "", wantOn: false},
		{list: " , ", wantOn: false},
		{list: "https://wallet.example", wantOn: true},
		{list: "https://wallet.example, http://127.0.0.1:5173", wantOn: true},
		{list: "https://[::1]:8443", wantOn: true},
		{list: "*", wantErr: true},
		{list: "https://*.wallet.example", wantErr: true},
		{list: "null", wantErr: true},
		{list: "https://wallet.example/", wantErr: true},
		{list: "https://wallet.example/app", wantErr: true},
		{list: "https://Wallet.example", wantErr: true},
		{list: "wallet.example", wantErr: true},
		{list: "ftp://wallet.example", wantErr: true},
		{list: "https://user@wallet.example", wantErr: true},
		{list: "https://wallet.example?x=1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			c, err := ParseCORS(tt.list)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantOn, c.On())
		})
	}
	long := "https://a0.example"
	for i := 1; i <= AllowedOriginsMax; i++ {
		long += ",https://a" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example"
	}
	_, err := ParseCORS(long)
	assert.Error(t, err, "more than AllowedOriginsMax origins")
}

// TestCORSHeaders: what every function's answer carries for a request's Origin.
func TestCORSHeaders(t *testing.T) {
	listed := map[string]string{
		"Vary":                             "Origin",
		"Access-Control-Allow-Origin":      "https://wallet.example",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Expose-Headers":    CORSExposedHeaders,
	}
	tests := []struct {
		name   string
		list   string
		origin string
		want   map[string]string
	}{
		{name: "listed origin: allowed with credentials", list: "https://wallet.example,https://admin.wallet.example", origin: "https://wallet.example", want: listed},
		{name: "second listed origin", list: "https://admin.wallet.example,https://wallet.example", origin: "https://wallet.example", want: listed},
		{name: "unlisted origin: only Vary", list: "https://wallet.example", origin: "https://evil.example", want: map[string]string{"Vary": "Origin"}},
		{name: "a listed origin's look-alike", list: "https://wallet.example", origin: "https://wallet.example.evil.example", want: map[string]string{"Vary": "Origin"}},
		{name: "scheme differs", list: "https://wallet.example", origin: "http://wallet.example", want: map[string]string{"Vary": "Origin"}},
		{name: "the null origin", list: "https://wallet.example", origin: "null", want: map[string]string{"Vary": "Origin"}},
		{name: "no Origin header (same origin or not a browser)", list: "https://wallet.example", origin: "", want: map[string]string{"Vary": "Origin"}},
		{name: "nothing listed: no header at all", list: "", origin: "https://wallet.example", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCORS(tt.list)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Headers(tt.origin))
		})
	}
}

// TestCORSWrap: the headers reach every answer of a handler, its refusals included (a
// rate limit's 429 keeps its Retry-After), whatever the Origin header's spelling; a
// handler's own Vary is kept beside Origin; an empty list changes no answer.
func TestCORSWrap(t *testing.T) {
	refuse := func(context.Context, *Request) (Response, error) {
		return Response{}, &problem.Error{Kind: problem.KindRateLimited, Code: "rate_limited", RetryAfterSeconds: 3, Message: "slow down"}
	}
	okWithVary := func(context.Context, *Request) (Response, error) {
		return Response{Status: http.StatusOK, Body: map[string]string{}, Headers: map[string]string{"Vary": "Accept"}}, nil
	}
	tests := []struct {
		name       string
		list       string
		fn         HandlerFunc
		headers    map[string]string
		wantStatus int
		want       map[string]string
		absent     []string
	}{
		{name: "a 429 for a listed origin", list: "https://wallet.example", fn: refuse, headers: map[string]string{"origin": "https://wallet.example"},
			wantStatus: http.StatusTooManyRequests, want: map[string]string{"Access-Control-Allow-Origin": "https://wallet.example", "Access-Control-Allow-Credentials": "true", "Retry-After": "3", "Vary": "Origin"}},
		{name: "a 429 for an unlisted origin", list: "https://wallet.example", fn: refuse, headers: map[string]string{"Origin": "https://evil.example"},
			wantStatus: http.StatusTooManyRequests, want: map[string]string{"Retry-After": "3", "Vary": "Origin"}, absent: []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"}},
		{name: "the handler's own Vary is kept, Origin added", list: "https://wallet.example", fn: okWithVary, headers: map[string]string{"Origin": "https://wallet.example"},
			wantStatus: http.StatusOK, want: map[string]string{"Vary": "Accept, Origin", "Access-Control-Allow-Origin": "https://wallet.example"}},
		{name: "CORS off", list: "", fn: refuse, headers: map[string]string{"Origin": "https://wallet.example"},
			wantStatus: http.StatusTooManyRequests, want: map[string]string{"Retry-After": "3"}, absent: []string{"Vary", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCORS(tt.list)
			require.NoError(t, err)
			out, err := c.Wrap(Handle(Discard, nil, nil, tt.fn))(context.Background(), events.APIGatewayProxyRequest{Headers: tt.headers})
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, out.StatusCode)
			for k, v := range tt.want {
				assert.Equal(t, v, out.Headers[k], k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, out.Headers, k)
			}
		})
	}
}
