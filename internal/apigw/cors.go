package apigw

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// AllowedOriginsMax bounds the AllowedOrigins list: each origin is compared on every
// answer, and a long list is a sign of a wildcard in disguise.
const AllowedOriginsMax = 20

// CORSExposedHeaders are the answer headers a page at a listed origin may read: the rate
// limit's, a refusal's Retry-After, the replay mark of an Idempotency-Key and the request
// id to quote. Kept equal to the stage's corsExposeHeaders variable (template.yaml).
const CORSExposedHeaders = "RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset,Retry-After," + ReplayedHeader + "," + RequestIDHeader

// CORS answers cross-origin requests from the listed origins only. The zero value lists
// none: no answer carries a CORS header, as when the API has no cross-origin client.
type CORS struct {
	origins map[string]bool
}

// ParseCORS reads a comma-separated list of origins (scheme://host[:port], as a browser
// sends them in the Origin header; an empty list turns CORS off). A wildcard, the
// "null" origin, a path or a non-HTTP scheme is refused: credentials are allowed for
// every listed origin, so each must be one exact site.
func ParseCORS(list string) (CORS, error) {
	var c CORS
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if err := checkOrigin(o); err != nil {
			return CORS{}, err
		}
		if c.origins == nil {
			c.origins = map[string]bool{}
		}
		c.origins[o] = true
	}
	if len(c.origins) > AllowedOriginsMax {
		return CORS{}, fmt.Errorf("allowed origins: %d listed, at most %d", len(c.origins), AllowedOriginsMax)
	}
	return c, nil
}

func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" ||
		strings.Contains(u.Host, "*") || strings.ToLower(o) != o {
		return fmt.Errorf("allowed origins: %q is not an origin (want lower-case scheme://host[:port], no wildcard)", o)
	}
	return nil
}

// On reports whether any origin is listed.
func (c CORS) On() bool { return len(c.origins) > 0 }

// Headers are the CORS headers of an answer to a request sent with this Origin header:
// none when no origin is listed; otherwise Vary: Origin (the answer differs by origin,
// so a shared cache must not hand one origin's answer to another), and, for a listed
// origin only, that origin allowed with credentials and the readable headers.
func (c CORS) Headers(origin string) map[string]string {
	if !c.On() {
		return nil
	}
	h := map[string]string{"Vary": "Origin"}
	if c.origins[origin] {
		h["Access-Control-Allow-Origin"] = origin
		h["Access-Control-Allow-Credentials"] = "true"
		h["Access-Control-Expose-Headers"] = CORSExposedHeaders
	}
	return h
}

// Wrap adds to every answer of h the CORS headers for the request's Origin (a Vary of
// h's own is kept, Origin added to it).
func (c CORS) Wrap(h LambdaHandler) LambdaHandler {
	if !c.On() {
		return h
	}
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		out, err := h(ctx, ev)
		if err != nil {
			return out, err
		}
		cors := c.Headers(headerOf(ev.Headers, "Origin"))
		if vary := out.Headers["Vary"]; vary != "" { // the answer varies by both
			cors["Vary"] = vary + ", " + cors["Vary"]
			delete(out.Headers, "Vary")
		}
		out.Headers = withHeaders(out.Headers, cors)
		return out, nil
	}
}
