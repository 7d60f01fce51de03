package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"gopkg.in/yaml.v3"
)

// jsonContentType is the only request media type the API documents.
const jsonContentType = "application/json"

// maxRefDepth bounds $ref inlining, so a schema that refers to itself is an error
// instead of a loop.
const maxRefDepth = 32

// Validator is one entry of x-amazon-apigateway-request-validators.
type Validator struct {
	Body       bool `yaml:"validateRequestBody"`
	Parameters bool `yaml:"validateRequestParameters"`
}

// MethodValidation is what API Gateway checks on one operation before its function
// runs.
type MethodValidation struct {
	Path      string          // the document's path template, e.g. /v1/wallets/{id}
	Method    string          // upper case, e.g. POST
	Validator string          // a name in RequestValidation.Validators
	Required  map[string]bool // method.request.{header,querystring,path}.<name>: required
	Model     string          // the request body's schema name; "" when it has none
}

// RequestValidation is an OpenAPI document's request validation, as API Gateway
// imports it: the named validators, the operations that use one, and the JSON
// schema (draft 4, $refs inlined) of each body model those operations name.
type RequestValidation struct {
	Validators map[string]Validator
	Methods    []MethodValidation
	Models     map[string]string
}

// operation is the part of an OpenAPI operation that request validation reads.
type operation struct {
	Validator   string           `yaml:"x-amazon-apigateway-request-validator"`
	Parameters  []map[string]any `yaml:"parameters"`
	RequestBody struct {
		Content map[string]struct {
			Schema map[string]any `yaml:"schema"`
		} `yaml:"content"`
	} `yaml:"requestBody"`
}

// ReadRequestValidation reads the request validation of an OpenAPI 3.0 document.
func ReadRequestValidation(doc []byte) (RequestValidation, error) {
	var d struct {
		Validators map[string]Validator            `yaml:"x-amazon-apigateway-request-validators"`
		Paths      map[string]map[string]yaml.Node `yaml:"paths"`
		Components map[string]map[string]any       `yaml:"components"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		return RequestValidation{}, fmt.Errorf("read request validation: %w", err)
	}
	rv := RequestValidation{Validators: d.Validators, Models: map[string]string{}}
	for path, item := range d.Paths {
		var shared []map[string]any // the path item's parameters, which every operation has
		if node, ok := item["parameters"]; ok {
			if err := node.Decode(&shared); err != nil {
				return RequestValidation{}, fmt.Errorf("%s parameters: %w", path, err)
			}
		}
		for verb, node := range item {
			if verb == "parameters" {
				continue
			}
			var op operation
			if err := node.Decode(&op); err != nil {
				return RequestValidation{}, fmt.Errorf("%s %s: %w", verb, path, err)
			}
			if op.Validator == "" {
				continue
			}
			if _, ok := d.Validators[op.Validator]; !ok {
				return RequestValidation{}, fmt.Errorf("%s %s: unknown request validator %q", verb, path, op.Validator)
			}
			m := MethodValidation{Path: path, Method: strings.ToUpper(verb), Validator: op.Validator, Required: map[string]bool{}}
			for _, p := range append(shared, op.Parameters...) {
				p, err := resolve(p, d.Components)
				if err != nil {
					return RequestValidation{}, fmt.Errorf("%s %s: %w", verb, path, err)
				}
				in, _ := p["in"].(string)
				if in == "query" {
					in = "querystring"
				}
				name, _ := p["name"].(string)
				required, _ := p["required"].(bool)
				m.Required["method.request."+in+"."+name] = required
			}
			if body, ok := op.RequestBody.Content[jsonContentType]; ok {
				ref, _ := body.Schema["$ref"].(string)
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if ref == "" || name == ref {
					return RequestValidation{}, fmt.Errorf("%s %s: the body schema must be a $ref to #/components/schemas, the model API Gateway names", verb, path)
				}
				schema, err := inline(body.Schema, d.Components, 0)
				if err != nil {
					return RequestValidation{}, fmt.Errorf("%s %s: %w", verb, path, err)
				}
				js, err := json.Marshal(schema)
				if err != nil {
					return RequestValidation{}, err
				}
				rv.Models[name] = string(js)
				m.Model = name
			}
			rv.Methods = append(rv.Methods, m)
		}
	}
	sort.Slice(rv.Methods, func(i, j int) bool {
		a, b := rv.Methods[i], rv.Methods[j]
		return a.Path+" "+a.Method < b.Path+" "+b.Method
	})
	return rv, nil
}

// resolve follows one $ref to #/components/<kind>/<name>.
func resolve(node map[string]any, components map[string]map[string]any) (map[string]any, error) {
	ref, ok := node["$ref"].(string)
	if !ok {
		return node, nil
	}
	parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
	if len(parts) != 2 || !strings.HasPrefix(ref, "#/components/") {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	target, ok := components[parts[0]][parts[1]].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q names nothing", ref)
	}
	return target, nil
}

// inline returns the schema with every $ref replaced by what it names, so the
// model stands alone (the local engine does not resolve #/components refs).
func inline(node any, components map[string]map[string]any, depth int) (any, error) {
	if depth > maxRefDepth {
		return nil, fmt.Errorf("schema $refs nest deeper than %d", maxRefDepth)
	}
	switch n := node.(type) {
	case map[string]any:
		target, err := resolve(n, components)
		if err != nil {
			return nil, err
		}
		if _, isRef := n["$ref"]; isRef {
			return inline(target, components, depth+1)
		}
		out := make(map[string]any, len(n))
		for k, v := range n {
			if out[k], err = inline(v, components, depth); err != nil {
				return nil, err
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			var err error
			if out[i], err = inline(v, components, depth); err != nil {
				return nil, err
			}
		}
		return out, nil
	default:
		return node, nil
	}
}

// ValidationAPI is the part of the API Gateway client that ApplyRequestValidation uses.
type ValidationAPI interface {
	GetRequestValidators(ctx context.Context, in *apigateway.GetRequestValidatorsInput, opts ...func(*apigateway.Options)) (*apigateway.GetRequestValidatorsOutput, error)
	CreateRequestValidator(ctx context.Context, in *apigateway.CreateRequestValidatorInput, opts ...func(*apigateway.Options)) (*apigateway.CreateRequestValidatorOutput, error)
	GetModels(ctx context.Context, in *apigateway.GetModelsInput, opts ...func(*apigateway.Options)) (*apigateway.GetModelsOutput, error)
	CreateModel(ctx context.Context, in *apigateway.CreateModelInput, opts ...func(*apigateway.Options)) (*apigateway.CreateModelOutput, error)
	UpdateModel(ctx context.Context, in *apigateway.UpdateModelInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateModelOutput, error)
	GetResources(ctx context.Context, in *apigateway.GetResourcesInput, opts ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
	GetMethod(ctx context.Context, in *apigateway.GetMethodInput, opts ...func(*apigateway.Options)) (*apigateway.GetMethodOutput, error)
	PutMethod(ctx context.Context, in *apigateway.PutMethodInput, opts ...func(*apigateway.Options)) (*apigateway.PutMethodOutput, error)
	PutIntegration(ctx context.Context, in *apigateway.PutIntegrationInput, opts ...func(*apigateway.Options)) (*apigateway.PutIntegrationOutput, error)
}

// ApplyRequestValidation creates the document's validators and body models on a REST
// API and attaches them, with the required parameters, to each operation that names a
// validator. It is for the local engine only, which imports none of them from a body
// (localstack/MINISTACK_GAPS.md, 1); on AWS the import does it. Running it again changes
// nothing.
//
// A method is put again (keeping its authorization and integration) instead of
// patched: the engine's UpdateMethod stores a requestModels patch path
// (/requestModels/application~1json) under the undecoded key, where it is never found.
func ApplyRequestValidation(ctx context.Context, api ValidationAPI, apiID string, rv RequestValidation) error {
	validatorIDs, err := ensureValidators(ctx, api, apiID, rv.Validators)
	if err != nil {
		return err
	}
	if err := ensureModels(ctx, api, apiID, rv.Models); err != nil {
		return err
	}
	resources, err := resourceIDs(ctx, api, apiID)
	if err != nil {
		return err
	}
	for _, m := range rv.Methods {
		resourceID, ok := resources[m.Path]
		if !ok {
			return fmt.Errorf("request validation: the API has no resource %s", m.Path)
		}
		if err := revalidateMethod(ctx, api, apiID, resourceID, m, validatorIDs[m.Validator]); err != nil {
			return fmt.Errorf("request validation of %s %s: %w", m.Method, m.Path, err)
		}
	}
	return nil
}

func ensureValidators(ctx context.Context, api ValidationAPI, apiID string, want map[string]Validator) (map[string]string, error) {
	ids := map[string]string{}
	// One page: an API has a handful of validators.
	got, err := api.GetRequestValidators(ctx, &apigateway.GetRequestValidatorsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	if err != nil {
		return nil, fmt.Errorf("list request validators: %w", err)
	}
	for _, v := range got.Items {
		ids[aws.ToString(v.Name)] = aws.ToString(v.Id)
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := ids[name]; ok {
			continue
		}
		v := want[name]
		out, err := api.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{
			RestApiId:                 aws.String(apiID),
			Name:                      aws.String(name),
			ValidateRequestBody:       v.Body,
			ValidateRequestParameters: v.Parameters,
		})
		if err != nil {
			return nil, fmt.Errorf("create request validator %s: %w", name, err)
		}
		ids[name] = aws.ToString(out.Id)
	}
	return ids, nil
}

func ensureModels(ctx context.Context, api ValidationAPI, apiID string, want map[string]string) error {
	got, err := api.GetModels(ctx, &apigateway.GetModelsInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	if err != nil {
		return fmt.Errorf("list models: %w", err)
	}
	exists := map[string]bool{}
	for _, m := range got.Items {
		exists[aws.ToString(m.Name)] = true
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if exists[name] {
			_, err = api.UpdateModel(ctx, &apigateway.UpdateModelInput{
				RestApiId: aws.String(apiID),
				ModelName: aws.String(name),
				PatchOperations: []agtypes.PatchOperation{
					{Op: agtypes.OpReplace, Path: aws.String("/schema"), Value: aws.String(want[name])},
				},
			})
		} else {
			_, err = api.CreateModel(ctx, &apigateway.CreateModelInput{
				RestApiId:   aws.String(apiID),
				Name:        aws.String(name),
				ContentType: aws.String(jsonContentType),
				Schema:      aws.String(want[name]),
			})
		}
		if err != nil {
			return fmt.Errorf("model %s: %w", name, err)
		}
	}
	return nil
}

func resourceIDs(ctx context.Context, api apigateway.GetResourcesAPIClient, apiID string) (map[string]string, error) {
	ids := map[string]string{}
	pages := apigateway.NewGetResourcesPaginator(api, &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list resources: %w", err)
		}
		for _, r := range page.Items {
			ids[aws.ToString(r.Path)] = aws.ToString(r.Id)
		}
	}
	return ids, nil
}

func revalidateMethod(ctx context.Context, api ValidationAPI, apiID, resourceID string, m MethodValidation, validatorID string) error {
	cur, err := api.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String(resourceID), HttpMethod: aws.String(m.Method)})
	if err != nil {
		return err
	}
	if cur.MethodIntegration == nil {
		return fmt.Errorf("the method has no integration to keep")
	}
	params := map[string]bool{}
	for k, v := range cur.RequestParameters {
		params[k] = v
	}
	for k, v := range m.Required {
		params[k] = v
	}
	put := &apigateway.PutMethodInput{
		RestApiId:          aws.String(apiID),
		ResourceId:         aws.String(resourceID),
		HttpMethod:         aws.String(m.Method),
		AuthorizationType:  cur.AuthorizationType,
		AuthorizerId:       cur.AuthorizerId,
		ApiKeyRequired:     aws.ToBool(cur.ApiKeyRequired),
		OperationName:      cur.OperationName,
		RequestParameters:  params,
		RequestValidatorId: aws.String(validatorID),
	}
	if m.Model != "" {
		put.RequestModels = map[string]string{jsonContentType: m.Model}
	}
	if _, err := api.PutMethod(ctx, put); err != nil {
		return err
	}
	in := cur.MethodIntegration
	again := &apigateway.PutIntegrationInput{
		RestApiId:             aws.String(apiID),
		ResourceId:            aws.String(resourceID),
		HttpMethod:            aws.String(m.Method),
		Type:                  in.Type,
		IntegrationHttpMethod: in.HttpMethod,
		Uri:                   in.Uri,
		Credentials:           in.Credentials,
		PassthroughBehavior:   in.PassthroughBehavior,
	}
	if in.TimeoutInMillis > 0 {
		again.TimeoutInMillis = aws.Int32(in.TimeoutInMillis)
	}
	_, err = api.PutIntegration(ctx, again)
	return err
}
