package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"gopkg.in/yaml.v3"
)

// MockIntegration is one operation of an OpenAPI document answered by API Gateway
// itself (x-amazon-apigateway-integration of type mock): the CORS preflights.
type MockIntegration struct {
	Method           string
	Path             string
	RequestTemplates map[string]string
	// Responses by selection pattern ("default": the one without a pattern).
	Responses map[string]MockResponse
}

// MockResponse is one integration response of a mock integration.
type MockResponse struct {
	StatusCode         string            `yaml:"statusCode"`
	ResponseParameters map[string]string `yaml:"responseParameters"`
	ResponseTemplates  map[string]string `yaml:"responseTemplates"`
}

// ReadMockIntegrations lists the document's mock integrations, by path and method.
func ReadMockIntegrations(doc []byte) ([]MockIntegration, error) {
	type mockOperation struct {
		Integration *struct {
			Type             string                  `yaml:"type"`
			RequestTemplates map[string]string       `yaml:"requestTemplates"`
			Responses        map[string]MockResponse `yaml:"responses"`
		} `yaml:"x-amazon-apigateway-integration"`
	}
	var d struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("read mock integrations: %w", err)
	}
	var out []MockIntegration
	for path, item := range d.Paths {
		for method, node := range item {
			if node.Kind != yaml.MappingNode || method == "parameters" {
				continue
			}
			var op mockOperation
			if err := node.Decode(&op); err != nil {
				return nil, fmt.Errorf("read %s %s: %w", method, path, err)
			}
			if op.Integration == nil || op.Integration.Type != "mock" {
				continue
			}
			out = append(out, MockIntegration{Method: strings.ToUpper(method), Path: path,
				RequestTemplates: op.Integration.RequestTemplates, Responses: op.Integration.Responses})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path+out[i].Method < out[j].Path+out[j].Method })
	return out, nil
}

// MockAPI is the part of the API Gateway client that ApplyMockIntegrations uses.
type MockAPI interface {
	GetResources(ctx context.Context, in *apigateway.GetResourcesInput, opts ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
	GetStage(ctx context.Context, in *apigateway.GetStageInput, opts ...func(*apigateway.Options)) (*apigateway.GetStageOutput, error)
	PutIntegration(ctx context.Context, in *apigateway.PutIntegrationInput, opts ...func(*apigateway.Options)) (*apigateway.PutIntegrationOutput, error)
	PutMethodResponse(ctx context.Context, in *apigateway.PutMethodResponseInput, opts ...func(*apigateway.Options)) (*apigateway.PutMethodResponseOutput, error)
	PutIntegrationResponse(ctx context.Context, in *apigateway.PutIntegrationResponseInput, opts ...func(*apigateway.Options)) (*apigateway.PutIntegrationResponseOutput, error)
}

// ApplyMockIntegrations puts each mock integration's request template, method responses
// and integration responses on a REST API. It is for the local engine only, which
// imports a mock integration without them, and maps an integration response header only
// from a quoted static value (localstack/MINISTACK_GAPS.md, 31): a header mapped from a
// stage variable is put as the stage's value, quoted, and left out when the stage has no
// such variable (as API Gateway leaves it out). The stage is deployed again afterwards
// (ApplyGatewayResponses does). Running it again changes nothing.
func ApplyMockIntegrations(ctx context.Context, api MockAPI, apiID, stage string, mocks []MockIntegration) error {
	st, err := api.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)})
	if err != nil {
		return fmt.Errorf("read stage %s: %w", stage, err)
	}
	resources, err := resourceIDs(ctx, api, apiID)
	if err != nil {
		return err
	}
	for _, m := range mocks {
		resourceID, ok := resources[m.Path]
		if !ok {
			return fmt.Errorf("mock integration: the API has no resource %s", m.Path)
		}
		if err := putMock(ctx, api, apiID, resourceID, m, st.Variables); err != nil {
			return fmt.Errorf("mock integration of %s %s: %w", m.Method, m.Path, err)
		}
	}
	return nil
}

func putMock(ctx context.Context, api MockAPI, apiID, resourceID string, m MockIntegration, vars map[string]string) error {
	at := func() (*string, *string, *string) {
		return aws.String(apiID), aws.String(resourceID), aws.String(m.Method)
	}
	id, res, method := at()
	if _, err := api.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: id, ResourceId: res, HttpMethod: method,
		Type: agtypes.IntegrationTypeMock, RequestTemplates: m.RequestTemplates}); err != nil {
		return err
	}
	patterns := make([]string, 0, len(m.Responses))
	for p := range m.Responses {
		patterns = append(patterns, p)
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		r := m.Responses[p]
		declared := map[string]bool{}
		params := map[string]string{}
		for dest, src := range r.ResponseParameters {
			declared[dest] = false
			if v, ok := staticSource(src, vars); ok {
				params[dest] = v
			}
		}
		id, res, method := at()
		if _, err := api.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: id, ResourceId: res, HttpMethod: method,
			StatusCode: aws.String(r.StatusCode), ResponseParameters: declared}); err != nil {
			return err
		}
		in := &apigateway.PutIntegrationResponseInput{RestApiId: id, ResourceId: res, HttpMethod: method,
			StatusCode: aws.String(r.StatusCode), ResponseParameters: params, ResponseTemplates: r.ResponseTemplates}
		if p != "default" {
			in.SelectionPattern = aws.String(p)
		}
		if _, err := api.PutIntegrationResponse(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// staticSource is a mapping source as a quoted static value: a stage variable's value
// (false when the stage has none), or a value already static.
func staticSource(src string, vars map[string]string) (string, bool) {
	if name, ok := strings.CutPrefix(src, "stageVariables."); ok {
		v, set := vars[name]
		return "'" + v + "'", set
	}
	return src, true
}
