package contract

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/serverless-wallet/wallet/internal/apigw"
	"github.com/serverless-wallet/wallet/internal/deploy"
)

const (
	openAPIPath    = "../../api/openapi.yaml"
	templatePath   = "../../template.yaml"
	errorSchemaRef = "#/components/schemas/Error"
	functionType   = "AWS::Serverless::Function"
	permissionType = "AWS::Lambda::Permission"
	// refDepthMax bounds how many $ref hops one lookup may follow (a cycle guard).
	refDepthMax = 8
)

// ---------------------------------------------------------------- YAML helpers

// ---------------------------------------------------------------- template.yaml

// ---------------------------------------------------------------- api/openapi.yaml

// ---------------------------------------------------------------- tests

// API Gateway imports OpenAPI 3.0, not 3.1.
func TestOpenAPIVersionIs30(t *testing.T) {
	root := loadYAML(t, openAPIPath)
	v := deploy.MapValue(root, "openapi")
	require.NotNil(t, v, "api/openapi.yaml has no openapi field")
	assert.Regexp(t, regexp.MustCompile(`^3\.0\.\d+$`), v.Value)
	var only31 []string
	var walk func(path string, n *yaml.Node)
	walk = func(path string, n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, value := n.Content[i].Value, n.Content[i+1]
				inSchema := strings.Contains(path, "schema") || strings.Contains(path, "/schemas/") || strings.Contains(path, "/properties/")
				switch {
				case key == "const", key == "type" && value.Kind == yaml.SequenceNode,
					key == "examples" && value.Kind == yaml.SequenceNode && inSchema:
					only31 = append(only31, path+"/"+key)
				}
				walk(path+"/"+key, value)
			}
		}
		for _, c := range n.Content {
			if n.Kind != yaml.MappingNode {
				walk(path, c)
			}
		}
	}
	walk("#", root)
	assert.Empty(t, only31, "OpenAPI 3.1 keywords in a 3.0 document")
}

// Every operation reaches its own function through the imported definition: a Lambda
// proxy integration naming a function of template.yaml that API Gateway may invoke.
func TestEveryOperationReachesItsFunction(t *testing.T) {
	functions, invokable, err := templateFunctions(loadYAML(t, templatePath))
	require.NoError(t, err)
	ops, err := operations(loadYAML(t, openAPIPath))
	require.NoError(t, err)
	require.NotEmpty(t, ops)

	owner := map[string]string{}
	for _, op := range ops {
		t.Run(op.String(), func(t *testing.T) {
			assert.True(t, op.Implemented, "API Gateway cannot deploy a method without an integration: "+
				"an operation in the document is an operation of the API (drop `x-implemented: false`)")
			fn, err := integrationFunction(op.Node)
			require.NoError(t, err)
			assert.True(t, functions[fn], "%s is not a %s of template.yaml", fn, functionType)
			assert.True(t, invokable[fn], "%s has no %s for apigateway.amazonaws.com", fn, permissionType)
			if other, taken := owner[fn]; taken {
				t.Errorf("%s serves both %s and %s: each operation has its own function", fn, other, op)
			}
			owner[fn] = op.String()
		})
	}
}

// API Gateway ignores a document's top-level security on import, so each protected
// operation names its authorizer itself; the public ones say `security: []`.
func TestEveryOperationStatesItsOwnSecurity(t *testing.T) {
	root := loadYAML(t, openAPIPath)
	ops, err := operations(root)
	require.NoError(t, err)
	scheme := deploy.MapValue(deploy.MapValue(deploy.MapValue(root, "components"), "securitySchemes"), "bearerAuth")
	require.NotNil(t, scheme, "components.securitySchemes.bearerAuth")
	authorizer := deploy.MapValue(scheme, "x-amazon-apigateway-authorizer")
	require.NotNil(t, authorizer, "bearerAuth carries the Lambda authorizer")
	assert.Equal(t, "token", deploy.MapValue(authorizer, "type").Value)
	assert.Equal(t, "method.request.header.Authorization", deploy.MapValue(authorizer, "identitySource").Value)
	public := map[string]bool{"GET /v1/health": true, "POST /v1/auth/signup": true, "POST /v1/auth/login": true,
		"POST /v1/auth/verify": true, "POST /v1/auth/verify/resend": true, "POST /v1/auth/refresh": true,
		"POST /v1/auth/password-reset": true, "POST /v1/auth/password-reset/confirm": true}
	for _, op := range ops {
		sec := deploy.MapValue(op.Node, "security")
		if !assert.NotNil(t, sec, "%s has no security of its own", op) {
			continue
		}
		assert.Equal(t, public[op.String()], op.Public, "%s: public is %v", op, op.Public)
		if !op.Public {
			assert.NotNil(t, deploy.MapValue(sec.Content[0], "bearerAuth"), "%s: security names bearerAuth", op)
		}
	}
}

// The gateway refuses a malformed request before any function runs: every operation
// with a required body has a validator that checks it against the body's model, and
// every operation with a required header or query parameter one that checks those.
func TestEveryOperationIsValidatedAtTheDoor(t *testing.T) {
	body, err := os.ReadFile(openAPIPath)
	require.NoError(t, err)
	rv, err := deploy.ReadRequestValidation(body)
	require.NoError(t, err)
	validated := map[string]deploy.MethodValidation{}
	for _, m := range rv.Methods {
		validated[m.Method+" "+m.Path] = m
	}
	root := loadYAML(t, openAPIPath)
	ops, err := operations(root)
	require.NoError(t, err)
	for _, op := range ops {
		t.Run(op.String(), func(t *testing.T) {
			m, ok := validated[op.String()]
			requestBody := deploy.MapValue(op.Node, "requestBody")
			requiredBody := requestBody != nil && deploy.MapValue(requestBody, "required") != nil && deploy.MapValue(requestBody, "required").Value == "true"
			requiredParam := false
			if params := deploy.MapValue(op.Node, "parameters"); params != nil {
				for _, p := range params.Content {
					p, err := resolve(root, p)
					require.NoError(t, err)
					if deploy.MapValue(p, "in").Value != "path" && deploy.MapValue(p, "required") != nil && deploy.MapValue(p, "required").Value == "true" {
						requiredParam = true
					}
				}
			}
			if requiredBody {
				require.True(t, ok, "a required body and no request validator")
				assert.True(t, rv.Validators[m.Validator].Body, "validator %s does not check the body", m.Validator)
				assert.NotEmpty(t, m.Model, "the body has no model to be checked against")
			}
			if requiredParam {
				require.True(t, ok, "a required parameter and no request validator")
				assert.True(t, rv.Validators[m.Validator].Parameters, "validator %s does not check the required parameters", m.Validator)
			}
			if ok {
				assert.NotNil(t, deploy.MapValue(deploy.MapValue(op.Node, "responses"), "400"), "a validated operation documents its 400")
			}
		})
	}
	for _, code := range []string{"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS"} {
		gw := deploy.MapValue(deploy.MapValue(root, "x-amazon-apigateway-gateway-responses"), code)
		require.NotNil(t, gw, "%s has a gateway response in the API's error shape", code)
		assert.Contains(t, deploy.MapValue(deploy.MapValue(gw, "responseTemplates"), "application/json").Value, `"error":{"code":"invalid_`)
	}
}

func TestEveryOperationDocumentsClientErrors(t *testing.T) {
	root := loadYAML(t, openAPIPath)
	ops, err := operations(root)
	require.NoError(t, err)
	require.NotEmpty(t, ops)
	for _, op := range ops {
		t.Run(op.String(), func(t *testing.T) {
			responses := deploy.MapValue(op.Node, "responses")
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
			assert.NotNil(t, deploy.MapValue(deploy.MapValue(op.Node, "responses"), "429"), "%s does not document its 429", op)
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
		if ref := deploy.MapValue(n, "$ref"); ref != nil {
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

// TestDomainPackagesKnowNoTransportOrAWS: the rules and use cases import neither HTTP
// nor an AWS SDK nor the Lambda library; adapters (apigw, dynamo, saga, snsbus, secrets)
// and the composition root (app) bring those in.
func TestDomainPackagesKnowNoTransportOrAWS(t *testing.T) {
	domain := []string{"audit", "idempotency", "ledger", "money", "notification", "op", "problem", "retry", "reward",
		"transfer", "user", "wallet"}
	forbidden := regexp.MustCompile(`^(net/http|github\.com/aws/)`)
	for _, name := range domain {
		pkg, err := build.ImportDir(filepath.Join("..", name), 0)
		require.NoError(t, err, name)
		for _, imp := range pkg.Imports {
			assert.False(t, forbidden.MatchString(imp), "internal/%s imports %s", name, imp)
		}
	}
}

// TestEveryPathHasTheSamePreflight: a browser at an allowed origin preflights every
// call it makes with Authorization or JSON, so every path answers OPTIONS, each with the
// one preflight (a copy that drifts would answer one path differently), public (a
// preflight carries no token), and its CORS headers come only from the stage variables
// the template sets when AllowedOrigins lists an origin.
func TestEveryPathHasTheSamePreflight(t *testing.T) {
	root := loadYAML(t, openAPIPath)
	var first []byte
	n := 0
	pairs(deploy.MapValue(root, "paths"), func(path string, item *yaml.Node) {
		op := deploy.MapValue(item, "options")
		if !assert.NotNil(t, op, "%s has no preflight", path) || !assert.True(t, isPreflight("options", op), "%s: OPTIONS is not the mock preflight", path) {
			return
		}
		n++
		b, err := yaml.Marshal(op)
		require.NoError(t, err)
		if first == nil {
			first = b
			return
		}
		assert.Equal(t, string(first), string(b), "%s: the preflight differs from the first path's", path)
	})
	require.NotZero(t, n)
	assert.Contains(t, string(first), "security: []")
	var sources []string
	collectMappings(root, &sources)
	for _, src := range sources {
		assert.True(t, strings.HasPrefix(src, "stageVariables.cors"), "a CORS header is mapped from %q, not a stage variable the template sets only with AllowedOrigins", src)
	}
	assert.NotEmpty(t, sources)
}

// collectMappings appends the source of every response header mapping named
// Access-Control-* (gateway responses' and integration responses').
func collectMappings(n *yaml.Node, out *[]string) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if strings.Contains(k, ".header.Access-Control-") {
				*out = append(*out, n.Content[i+1].Value)
			}
		}
	}
	for _, c := range n.Content {
		collectMappings(c, out)
	}
}

// TestTheStageSetsEveryCORSVariable: each stage variable the document maps a CORS
// header from is set by the template (only when AllowedOrigins lists an origin), and
// the gateway exposes the same headers as the functions.
func TestTheStageSetsEveryCORSVariable(t *testing.T) {
	api := deploy.MapValue(deploy.MapValue(deploy.MapValue(loadYAML(t, templatePath), "Resources"), "Api"), "Properties")
	vars := deploy.MapValue(api, "Variables")
	require.NotNil(t, vars, "Api.Properties.Variables")
	require.Equal(t, "!If", vars.Tag, "the variables exist only with AllowedOrigins")
	require.Len(t, vars.Content, 3)
	assert.Equal(t, "CorsOn", vars.Content[0].Value)
	assert.Equal(t, "AWS::NoValue", vars.Content[2].Value)
	set := map[string]string{}
	pairs(vars.Content[1], func(k string, v *yaml.Node) { set[k] = v.Value })
	var sources []string
	collectMappings(loadYAML(t, openAPIPath), &sources)
	for _, src := range sources {
		name := strings.TrimPrefix(src, "stageVariables.")
		assert.Contains(t, set, name, "%s is mapped but the template does not set it", src)
	}
	assert.Equal(t, apigw.CORSExposedHeaders, set["corsExposeHeaders"])
}
