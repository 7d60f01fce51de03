package contract

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/serverless-wallet/wallet/internal/apigw"
)

const (
	openAPIPath    = "../../api/openapi.yaml"
	templatePath   = "../../template.yaml"
	errorSchemaRef = "#/components/schemas/Error"
	routeType      = "AWS::ApiGatewayV2::Route"
	// refDepthMax bounds how many $ref hops one lookup may follow (a cycle guard).
	refDepthMax = 8
)

// operationKeys are the keys of an OpenAPI path item that hold operations.
var operationKeys = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// route is a method and a path, written as an HTTP API route key: "GET /v1/health".
type route struct {
	Method string
	Path   string
}

func (r route) String() string { return r.Method + " " + r.Path }

// templateRoute is one AWS::ApiGatewayV2::Route of template.yaml.
type templateRoute struct {
	route
	LogicalID string
	Public    bool // AuthorizationType NONE (or absent): no token needed
}

// operation is one operation of api/openapi.yaml.
type operation struct {
	route
	Implemented bool // false when the operation or its path item says x-implemented: false
	Public      bool // its effective security allows anonymous calls
	Node        *yaml.Node
}

// ---------------------------------------------------------------- YAML helpers

// loadYAML parses a file into its top-level node. A yaml.Node keeps every tag as it is
// written, so CloudFormation's short forms (!Ref, !Sub, !GetAtt) need no special care.
func loadYAML(t *testing.T, path string) *yaml.Node {
	t.Helper()
	body, err := os.ReadFile(path) // #nosec G304 -- fixed paths inside the repository
	require.NoError(t, err)
	root, err := parseYAML(body)
	require.NoError(t, err, path)
	return root
}

func parseYAML(body []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("want one YAML document holding a mapping")
	}
	return doc.Content[0], nil
}

// child returns the value under key in a mapping node, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// pairs calls fn for each key and value of a mapping node, in document order.
func pairs(n *yaml.Node, fn func(key string, value *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i].Value, n.Content[i+1])
	}
}

// isCustomTag reports whether a node carries a local tag such as !Sub (not a core
// YAML tag like !!str).
func isCustomTag(n *yaml.Node) bool {
	return strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
}

// ---------------------------------------------------------------- template.yaml

// templateRoutes collects every AWS::ApiGatewayV2::Route's RouteKey. A RouteKey must be
// a literal "METHOD /path" so the contract can be checked without evaluating
// CloudFormation; $default (the catch-all route) has no method and path and is skipped.
func templateRoutes(root *yaml.Node) ([]templateRoute, error) {
	resources := child(root, "Resources")
	if resources == nil {
		return nil, fmt.Errorf("the template has no Resources")
	}
	var routes []templateRoute
	var errs []string
	pairs(resources, func(logicalID string, res *yaml.Node) {
		if typ := child(res, "Type"); typ == nil || typ.Value != routeType {
			return
		}
		props := child(res, "Properties")
		key := child(props, "RouteKey")
		if key == nil || key.Kind != yaml.ScalarNode || isCustomTag(key) {
			errs = append(errs, logicalID+": RouteKey must be a literal \"METHOD /path\"")
			return
		}
		if key.Value == "$default" {
			return
		}
		method, path, ok := strings.Cut(strings.TrimSpace(key.Value), " ")
		if !ok || method != strings.ToUpper(method) || !strings.HasPrefix(path, "/") {
			errs = append(errs, fmt.Sprintf("%s: RouteKey %q is not \"METHOD /path\"", logicalID, key.Value))
			return
		}
		public := true
		if at := child(props, "AuthorizationType"); at != nil {
			public = at.Value == "NONE"
		}
		routes = append(routes, templateRoute{route: route{Method: method, Path: path}, LogicalID: logicalID, Public: public})
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return routes, nil
}

// ---------------------------------------------------------------- api/openapi.yaml

// operations lists every operation of an OpenAPI document.
func operations(root *yaml.Node) ([]operation, error) {
	paths := child(root, "paths")
	if paths == nil {
		return nil, fmt.Errorf("the OpenAPI document has no paths")
	}
	globalPublic := securityIsPublic(child(root, "security"))
	var ops []operation
	var errs []string
	pairs(paths, func(path string, item *yaml.Node) {
		itemImplemented, err := implementedFlag(item, true)
		if err != nil {
			errs = append(errs, path+": "+err.Error())
		}
		for _, key := range operationKeys {
			op := child(item, key)
			if op == nil {
				continue
			}
			implemented, err := implementedFlag(op, itemImplemented)
			if err != nil {
				errs = append(errs, key+" "+path+": "+err.Error())
			}
			public := globalPublic
			if sec := child(op, "security"); sec != nil {
				public = securityIsPublic(sec)
			}
			ops = append(ops, operation{
				route:       route{Method: strings.ToUpper(key), Path: path},
				Implemented: implemented,
				Public:      public,
				Node:        op,
			})
		}
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return ops, nil
}

// implementedFlag reads x-implemented from n; absent means inherited.
func implementedFlag(n *yaml.Node, inherited bool) (bool, error) {
	flag := child(n, "x-implemented")
	if flag == nil {
		return inherited, nil
	}
	var v bool
	if err := flag.Decode(&v); err != nil {
		return false, fmt.Errorf("x-implemented must be true or false: %w", err)
	}
	return v, nil
}

// securityIsPublic reports whether a security requirement list lets a caller in
// without credentials: no list, an empty list, or a list with an empty requirement.
func securityIsPublic(sec *yaml.Node) bool {
	if sec == nil || sec.Kind != yaml.SequenceNode || len(sec.Content) == 0 {
		return true
	}
	for _, req := range sec.Content {
		if req.Kind == yaml.MappingNode && len(req.Content) == 0 {
			return true
		}
	}
	return false
}

// resolve follows local $refs ("#/components/...") until it reaches a node that is not
// a reference.
func resolve(root, n *yaml.Node) (*yaml.Node, error) {
	for range refDepthMax {
		ref := child(n, "$ref")
		if ref == nil {
			return n, nil
		}
		target, err := pointer(root, ref.Value)
		if err != nil {
			return nil, err
		}
		n = target
	}
	return nil, fmt.Errorf("more than %d $ref hops", refDepthMax)
}

// pointer looks up a local JSON pointer such as "#/components/schemas/Error".
func pointer(root *yaml.Node, ref string) (*yaml.Node, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local to the document", ref)
	}
	n := root
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if n = child(n, part); n == nil {
			return nil, fmt.Errorf("$ref %q points at nothing", ref)
		}
	}
	return n, nil
}

// usesErrorSchema reports whether a response's JSON body is the shared Error schema,
// directly or as one alternative of oneOf/anyOf.
func usesErrorSchema(root, response *yaml.Node) (bool, error) {
	resp, err := resolve(root, response)
	if err != nil {
		return false, err
	}
	schema := child(child(child(resp, "content"), "application/json"), "schema")
	if schema == nil {
		return false, nil
	}
	if ref := child(schema, "$ref"); ref != nil {
		return ref.Value == errorSchemaRef, nil
	}
	for _, combinator := range []string{"oneOf", "anyOf"} {
		alts := child(schema, combinator)
		if alts == nil {
			continue
		}
		for _, alt := range alts.Content {
			if ref := child(alt, "$ref"); ref != nil && ref.Value == errorSchemaRef {
				return true, nil
			}
		}
	}
	return false, nil
}

// ---------------------------------------------------------------- tests

func TestOpenAPIVersionIs31(t *testing.T) {
	root := loadYAML(t, openAPIPath)
	v := child(root, "openapi")
	require.NotNil(t, v, "api/openapi.yaml has no openapi field")
	assert.Regexp(t, regexp.MustCompile(`^3\.1\.\d+$`), v.Value)
}

func TestTemplateRoutesMatchContract(t *testing.T) {
	routes, err := templateRoutes(loadYAML(t, templatePath))
	require.NoError(t, err)
	require.NotEmpty(t, routes, "template.yaml declares no %s", routeType)
	ops, err := operations(loadYAML(t, openAPIPath))
	require.NoError(t, err)

	byKey := map[string]operation{}
	for _, op := range ops {
		byKey[op.String()] = op
	}
	deployed := map[string]bool{}
	for _, r := range routes {
		require.False(t, deployed[r.String()], "route %s is declared twice in template.yaml", r)
		deployed[r.String()] = true
	}

	for _, r := range routes {
		t.Run("route "+r.String(), func(t *testing.T) {
			op, ok := byKey[r.String()]
			require.True(t, ok, "template.yaml routes %s (%s) but api/openapi.yaml does not document it", r, r.LogicalID)
			assert.True(t, op.Implemented,
				"%s is deployed now: remove `x-implemented: false` from it in api/openapi.yaml", r)
			assert.Equal(t, r.Public, op.Public,
				"%s: template AuthorizationType says public=%v, the OpenAPI security says public=%v", r, r.Public, op.Public)
		})
	}

	var missing []string
	for _, op := range ops {
		if op.Implemented && !deployed[op.String()] {
			missing = append(missing, op.String())
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "documented as implemented but not routed in template.yaml; "+
		"add the route or mark the operation `x-implemented: false`")
}

func TestEveryOperationDocumentsClientErrors(t *testing.T) {
	root := loadYAML(t, openAPIPath)
	ops, err := operations(root)
	require.NoError(t, err)
	require.NotEmpty(t, ops)
	for _, op := range ops {
		t.Run(op.String(), func(t *testing.T) {
			responses := child(op.Node, "responses")
			require.NotNil(t, responses, "no responses")
			var found []string
			var problems []string
			pairs(responses, func(status string, resp *yaml.Node) {
				if !strings.HasPrefix(status, "4") {
					return
				}
				ok, err := usesErrorSchema(root, resp)
				switch {
				case err != nil:
					problems = append(problems, status+": "+err.Error())
				case ok:
					found = append(found, status)
				default:
					problems = append(problems, status+": body is not "+errorSchemaRef)
				}
			})
			assert.Empty(t, problems)
			assert.NotEmpty(t, found, "no 4xx response with the shared Error schema")
		})
	}
}

// TestEveryOperationHasARateLimitClass holds apigw.RouteClasses to the contract: every
// implemented operation is counted in a class and documents its 429.
func TestEveryOperationHasARateLimitClass(t *testing.T) {
	ops, err := operations(loadYAML(t, openAPIPath))
	require.NoError(t, err)
	documented := map[string]bool{}
	for _, op := range ops {
		documented[op.String()] = true
		if !op.Implemented {
			continue
		}
		t.Run(op.String(), func(t *testing.T) {
			_, ok := apigw.RouteClasses[op.String()]
			assert.True(t, ok, "apigw.RouteClasses has no class for %s", op)
			assert.NotNil(t, child(child(op.Node, "responses"), "429"), "%s does not document its 429", op)
		})
	}
	for route := range apigw.RouteClasses {
		assert.True(t, documented[route], "apigw.RouteClasses names %s, which api/openapi.yaml does not document", route)
	}
}

// TestEveryRefResolves keeps a renamed component from leaving a dangling $ref.
func TestEveryRefResolves(t *testing.T) {
	root := loadYAML(t, openAPIPath)
	var dangling []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if ref := child(n, "$ref"); ref != nil {
			if _, err := pointer(root, ref.Value); err != nil {
				dangling = append(dangling, err.Error())
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	assert.Empty(t, dangling)
}

func TestTemplateRoutesParser(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []templateRoute
		wantErr string
	}{
		{
			name: "CloudFormation tags around the route key are ignored",
			body: `
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: !Sub "${AWS::StackName}-api"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Architectures: [!Ref Architecture]
  PingRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /v1/ping
      Target: !Sub "integrations/${PingIntegration}"
      AuthorizationType: NONE
  PingIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      IntegrationUri: !GetAtt Fn.Arn
  ItemRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      RouteKey: "PATCH /v1/items/{id}"
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Authorizer
  CatchAll:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      RouteKey: $default
`,
			want: []templateRoute{
				{route: route{"GET", "/v1/ping"}, LogicalID: "PingRoute", Public: true},
				{route: route{"PATCH", "/v1/items/{id}"}, LogicalID: "ItemRoute", Public: false},
			},
		},
		{
			name: "a computed route key is refused",
			body: `
Resources:
  R:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      RouteKey: !Sub "GET /${Prefix}/ping"
`,
			wantErr: "R: RouteKey must be a literal",
		},
		{
			name: "a route key without a path is refused",
			body: `
Resources:
  R:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      RouteKey: GET
`,
			wantErr: `R: RouteKey "GET" is not`,
		},
		{
			name:    "no resources",
			body:    "Parameters: {}\n",
			wantErr: "no Resources",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := parseYAML([]byte(tt.body))
			require.NoError(t, err)
			got, err := templateRoutes(root)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOperationsParser(t *testing.T) {
	root, err := parseYAML([]byte(`
openapi: 3.1.0
security:
  - bearerAuth: []
paths:
  /a:
    get:
      security: []
      responses: {}
    post:
      x-implemented: false
      responses: {}
  /b:
    x-implemented: false
    get:
      responses: {}
    put:
      x-implemented: true
      security: [{}]
      responses: {}
`))
	require.NoError(t, err)
	ops, err := operations(root)
	require.NoError(t, err)
	got := map[string][2]bool{} // route -> {implemented, public}
	for _, op := range ops {
		got[op.String()] = [2]bool{op.Implemented, op.Public}
	}
	assert.Equal(t, map[string][2]bool{
		"GET /a":  {true, true},
		"POST /a": {false, false},
		"GET /b":  {false, false},
		"PUT /b":  {true, true},
	}, got)
}
