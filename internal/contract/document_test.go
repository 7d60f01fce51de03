package contract

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/serverless-wallet/wallet/internal/deploy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// operationKeys are the keys of an OpenAPI path item that hold operations.
var operationKeys = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// route is a method and a path, written as "GET /v1/health".
type route struct {
	Method string
	Path   string
}

func (r route) String() string { return r.Method + " " + r.Path }

// integrationURI is the only form an operation's Lambda proxy integration URI may take:
// a Fn::Sub naming one function of template.yaml by its logical id.
var integrationURI = regexp.MustCompile(`^arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}:lambda:path/2015-03-31/functions/\$\{(\w+)\.Arn\}/invocations$`)

// operation is one operation of api/openapi.yaml.
type operation struct {
	route
	Implemented bool // false when the operation or its path item says x-implemented: false
	Public      bool // its effective security allows anonymous calls
	Node        *yaml.Node
}

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

// pairs calls fn for each key and value of a mapping node, in document order.
func pairs(n *yaml.Node, fn func(key string, value *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i].Value, n.Content[i+1])
	}
}

// templateFunctions lists the template's functions and, of those, the ones API Gateway
// may invoke (an AWS::Lambda::Permission for apigateway.amazonaws.com names them).
func templateFunctions(root *yaml.Node) (functions, invokable map[string]bool, err error) {
	resources := deploy.MapValue(root, "Resources")
	if resources == nil {
		return nil, nil, fmt.Errorf("the template has no Resources")
	}
	functions, invokable = map[string]bool{}, map[string]bool{}
	pairs(resources, func(logicalID string, res *yaml.Node) {
		typ := deploy.MapValue(res, "Type")
		if typ == nil {
			return
		}
		props := deploy.MapValue(res, "Properties")
		switch typ.Value {
		case functionType:
			functions[logicalID] = true
		case permissionType:
			principal, name := deploy.MapValue(props, "Principal"), deploy.MapValue(props, "FunctionName")
			if principal != nil && principal.Value == "apigateway.amazonaws.com" && name != nil && name.Tag == "!Ref" {
				invokable[name.Value] = true
			}
		}
	})
	return functions, invokable, nil
}

// integrationFunction reads an operation's x-amazon-apigateway-integration and returns
// the logical id of the function it proxies to.
func integrationFunction(op *yaml.Node) (string, error) {
	in := deploy.MapValue(op, "x-amazon-apigateway-integration")
	if in == nil {
		return "", fmt.Errorf("no x-amazon-apigateway-integration")
	}
	var got struct {
		Type       string `yaml:"type"`
		HTTPMethod string `yaml:"httpMethod"`
		URI        struct {
			Sub string `yaml:"Fn::Sub"`
		} `yaml:"uri"`
	}
	if err := in.Decode(&got); err != nil {
		return "", fmt.Errorf("x-amazon-apigateway-integration: %w", err)
	}
	if got.Type != "aws_proxy" || got.HTTPMethod != "POST" {
		return "", fmt.Errorf("the integration must be type aws_proxy with httpMethod POST, got %q %q", got.Type, got.HTTPMethod)
	}
	m := integrationURI.FindStringSubmatch(got.URI.Sub)
	if m == nil {
		return "", fmt.Errorf("the integration uri must be a Fn::Sub of the form %s, got %q", integrationURI, got.URI.Sub)
	}
	return m[1], nil
}

// operations lists every operation of an OpenAPI document.
func operations(root *yaml.Node) ([]operation, error) {
	paths := deploy.MapValue(root, "paths")
	if paths == nil {
		return nil, fmt.Errorf("the OpenAPI document has no paths")
	}
	globalPublic := securityIsPublic(deploy.MapValue(root, "security"))
	var ops []operation
	var errs []string
	pairs(paths, func(path string, item *yaml.Node) {
		itemImplemented, err := implementedFlag(item, true)
		if err != nil {
			errs = append(errs, path+": "+err.Error())
		}
		for _, key := range operationKeys {
			op := deploy.MapValue(item, key)
			if op == nil || isPreflight(key, op) {
				continue
			}
			implemented, err := implementedFlag(op, itemImplemented)
			if err != nil {
				errs = append(errs, key+" "+path+": "+err.Error())
			}
			public := globalPublic
			if sec := deploy.MapValue(op, "security"); sec != nil {
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

// isPreflight reports whether an operation is a path's CORS preflight: OPTIONS answered
// by the gateway's mock integration, no function (TestEveryPathHasTheSamePreflight).
func isPreflight(method string, op *yaml.Node) bool {
	integration := deploy.MapValue(op, "x-amazon-apigateway-integration")
	return method == "options" && integration != nil && deploy.MapValue(integration, "type") != nil &&
		deploy.MapValue(integration, "type").Value == "mock"
}

// implementedFlag reads x-implemented from n; absent means inherited.
func implementedFlag(n *yaml.Node, inherited bool) (bool, error) {
	flag := deploy.MapValue(n, "x-implemented")
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
		ref := deploy.MapValue(n, "$ref")
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
		if n = deploy.MapValue(n, part); n == nil {
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
	schema := deploy.MapValue(deploy.MapValue(deploy.MapValue(resp, "content"), "application/json"), "schema")
	if schema == nil {
		return false, nil
	}
	if ref := deploy.MapValue(schema, "$ref"); ref != nil {
		return ref.Value == errorSchemaRef, nil
	}
	for _, combinator := range []string{"oneOf", "anyOf"} {
		alts := deploy.MapValue(schema, combinator)
		if alts == nil {
			continue
		}
		for _, alt := range alts.Content {
			if ref := deploy.MapValue(alt, "$ref"); ref != nil && ref.Value == errorSchemaRef {
				return true, nil
			}
		}
	}
	return false, nil
}

func TestIntegrationFunctionParser(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr string
	}{
		{
			name: "a Lambda proxy integration",
			body: `
x-amazon-apigateway-integration:
  type: aws_proxy
  httpMethod: POST
  uri:
    Fn::Sub: arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PingFunction.Arn}/invocations
`,
			want: "PingFunction",
		},
		{name: "none", body: "responses: {}\n", wantErr: "no x-amazon-apigateway-integration"},
		{
			name: "not a proxy",
			body: `
x-amazon-apigateway-integration:
  type: aws
  httpMethod: POST
`,
			wantErr: "aws_proxy",
		},
		{
			name: "a hard-coded ARN",
			body: `
x-amazon-apigateway-integration:
  type: aws_proxy
  httpMethod: POST
  uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations
`,
			wantErr: "x-amazon-apigateway-integration",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := parseYAML([]byte(tt.body))
			require.NoError(t, err)
			got, err := integrationFunction(root)
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
