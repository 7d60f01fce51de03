//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/serverless-wallet/wallet/internal/invoke"
)

// A request refused at the door (API Gateway's validators, from the document's schemas)
// never reaches a function, so the function's own check of the same rule is proved by
// invoking it directly, with the proxy event the gateway would have sent.

// door is what the gateway answers for a refusal the document's schema states.
type door string

const (
	pastTheDoor       door = ""                   // the schema allows it: the function refuses it
	badBody           door = "invalid_body"       // the body breaks its schema
	missingParameters door = "invalid_parameters" // a required parameter is absent
)

// expectRefusal checks one refusal through the API: the function's status and code when the
// schema lets the request past the door; else the gateway's 400, and then the function's
// own check of the same rule, by invoking it directly with the same request.
func expectRefusal(t *testing.T, c call, caller account, status int, code string, at door) {
	t.Helper()
	r := do(t, c)
	if at == pastTheDoor {
		assert.Equal(t, status, r.Status, "through the API: %s", r.Body)
		assert.Equal(t, code, r.ErrorCode(), "through the API: %s", r.Body)
		return
	}
	assert.Equal(t, http.StatusBadRequest, r.Status, "through the API: %s", r.Body)
	assert.Equal(t, string(at), r.ErrorCode(), "through the API: %s", r.Body)
	assert.Empty(t, r.Header.Get("RateLimit-Limit"), "no function answered: %s", r.Body)
	d := direct(t, c, caller)
	assert.Equal(t, status, d.Status, "invoked directly: %s", d.Body)
	assert.Equal(t, code, d.ErrorCode(), "invoked directly: %s", d.Body)
}

// directRoute is one operation of the document: its resource template and function.
type directRoute struct {
	method, resource, function string
	pattern                    *regexp.Regexp
}

var (
	directRoutesOnce sync.Once
	directRoutes     []directRoute
	directRoutesErr  error
	functionOfURI    = regexp.MustCompile(`\$\{(\w+)\.Arn\}`)
	pathParamNames   = regexp.MustCompile(`\{(\w+)\}`)
	quotedPathParam  = regexp.MustCompile(`\\\{\w+\\\}`) // a path parameter after regexp.QuoteMeta
	functionNames    sync.Map                            // logical id -> deployed name
)

// deployedFunction is the deployed name of a function of the stack (by its logical id
// in template.yaml), looked up once.
func deployedFunction(t *testing.T, logicalID string) string {
	t.Helper()
	if name, ok := functionNames.Load(logicalID); ok {
		return name.(string)
	}
	stackName := os.Getenv("WALLET_STACK_NAME")
	if stackName == "" {
		stackName = "wallet"
	}
	name, err := invoke.Resolve(context.Background(), cloudformation.NewFromConfig(awsConfig(t)), stackName, logicalID)
	require.NoError(t, err)
	functionNames.Store(logicalID, name)
	return name
}

func loadDirectRoutes() ([]directRoute, error) {
	directRoutesOnce.Do(func() {
		body, err := os.ReadFile("../../api/openapi.yaml")
		if err != nil {
			directRoutesErr = err
			return
		}
		var doc struct {
			Paths map[string]map[string]yaml.Node `yaml:"paths"`
		}
		if directRoutesErr = yaml.Unmarshal(body, &doc); directRoutesErr != nil {
			return
		}
		for resource, item := range doc.Paths {
			for verb, node := range item {
				if !httpMethods[verb] {
					continue
				}
				var op struct {
					Integration struct {
						URI struct {
							Sub string `yaml:"Fn::Sub"`
						} `yaml:"uri"`
					} `yaml:"x-amazon-apigateway-integration"`
				}
				if err := node.Decode(&op); err != nil {
					directRoutesErr = fmt.Errorf("%s %s: %w", verb, resource, err)
					return
				}
				m := functionOfURI.FindStringSubmatch(op.Integration.URI.Sub)
				if m == nil {
					continue
				}
				pattern := "^" + quotedPathParam.ReplaceAllString(regexp.QuoteMeta(resource), `([^/]+)`) + "$"
				directRoutes = append(directRoutes, directRoute{
					method: strings.ToUpper(verb), resource: resource, function: m[1], pattern: regexp.MustCompile(pattern),
				})
			}
		}
	})
	return directRoutes, directRoutesErr
}

// direct invokes the function behind c's operation with the REST proxy event API
// Gateway would send for c, as if the caller's token had been accepted.
func direct(t *testing.T, c call, caller account) reply {
	t.Helper()
	routes, err := loadDirectRoutes()
	require.NoError(t, err)
	path, query, _ := strings.Cut(c.path, "?")
	var route *directRoute
	var values []string
	for i := range routes {
		if routes[i].method == c.method {
			if m := routes[i].pattern.FindStringSubmatch(path); m != nil {
				route, values = &routes[i], m[1:]
				break
			}
		}
	}
	require.NotNil(t, route, "no operation serves %s %s", c.method, path)

	ev := events.APIGatewayProxyRequest{
		Resource:   route.resource,
		Path:       path,
		HTTPMethod: c.method,
		Headers:    map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:    uuid.NewString(),
			Stage:        "direct",
			ResourcePath: route.resource,
			HTTPMethod:   c.method,
			// A source address of its own, so direct calls share no per-IP limit.
			Identity: events.APIGatewayRequestIdentity{SourceIP: fmt.Sprintf("198.18.%d.%d", rand.IntN(256), rand.IntN(256))},
		},
	}
	names := pathParamNames.FindAllStringSubmatch(route.resource, -1)
	if len(names) > 0 {
		ev.PathParameters = map[string]string{}
		for i, n := range names {
			ev.PathParameters[n[1]] = values[i]
		}
	}
	if query != "" {
		ev.QueryStringParameters = map[string]string{}
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			ev.QueryStringParameters[k] = v
		}
	}
	for k, v := range c.headers {
		ev.Headers[strings.ToLower(k)] = v
	}
	if caller.ID != "" && c.token != "" {
		ev.RequestContext.Authorizer = map[string]any{"principalId": caller.ID, "user_id": caller.ID, "role": "user", "email_verified": "true"}
	}
	switch b := c.body.(type) {
	case nil:
	case string:
		ev.Body = b
	case []byte:
		ev.Body = string(b)
	default:
		js, err := json.Marshal(b)
		require.NoError(t, err)
		ev.Body = string(js)
	}
	payload, err := json.Marshal(ev)
	require.NoError(t, err)

	ctx := context.Background()
	cfg := awsConfig(t)
	res, err := invoke.Run(ctx, lambda.NewFromConfig(cfg), deployedFunction(t, route.function), payload)
	require.NoError(t, err)
	require.Empty(t, res.FunctionError, "%s: %s", route.function, res.Payload)
	var resp events.APIGatewayProxyResponse
	require.NoError(t, json.Unmarshal(res.Payload, &resp), "%s", res.Payload)
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	return reply{Status: resp.StatusCode, Header: h, Body: []byte(resp.Body)}
}
