package deploy

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeMocks struct {
	vars        map[string]string
	integration []*apigateway.PutIntegrationInput
	methodResp  []*apigateway.PutMethodResponseInput
	intResp     []*apigateway.PutIntegrationResponseInput
}

func (f *fakeMocks) GetResources(context.Context, *apigateway.GetResourcesInput, ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error) {
	return &apigateway.GetResourcesOutput{Items: []agtypes.Resource{{Id: aws.String("r1"), Path: aws.String("/v1/me")}}}, nil
}

func (f *fakeMocks) GetStage(context.Context, *apigateway.GetStageInput, ...func(*apigateway.Options)) (*apigateway.GetStageOutput, error) {
	return &apigateway.GetStageOutput{Variables: f.vars}, nil
}

func (f *fakeMocks) PutIntegration(_ context.Context, in *apigateway.PutIntegrationInput, _ ...func(*apigateway.Options)) (*apigateway.PutIntegrationOutput, error) {
	f.integration = append(f.integration, in)
	return &apigateway.PutIntegrationOutput{}, nil
}

func (f *fakeMocks) PutMethodResponse(_ context.Context, in *apigateway.PutMethodResponseInput, _ ...func(*apigateway.Options)) (*apigateway.PutMethodResponseOutput, error) {
	f.methodResp = append(f.methodResp, in)
	return &apigateway.PutMethodResponseOutput{}, nil
}

func (f *fakeMocks) PutIntegrationResponse(_ context.Context, in *apigateway.PutIntegrationResponseInput, _ ...func(*apigateway.Options)) (*apigateway.PutIntegrationResponseOutput, error) {
	f.intResp = append(f.intResp, in)
	return &apigateway.PutIntegrationResponseOutput{}, nil
}

const mockDoc = `openapi: 3.0.3
paths:
  /v1/me:
    parameters:
      - {name: x, in: query}
    get:
      x-amazon-apigateway-integration: {type: aws_proxy, uri: x}
    options:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 204}'
        responses:
          "404":
            statusCode: "404"
            responseTemplates:
              application/json: '{"error":{"code":"route_not_found"}}'
          default:
            statusCode: "204"
            responseParameters:
              method.response.header.Access-Control-Allow-Origin: stageVariables.corsOrigin
              method.response.header.Access-Control-Max-Age: stageVariables.corsMaxAge
              method.response.header.X-Static: "'yes'"
`

func TestApplyMockIntegrations(t *testing.T) {
	mocks, err := ReadMockIntegrations([]byte(mockDoc))
	require.NoError(t, err)
	require.Len(t, mocks, 1, "the mock only, not the proxy")
	assert.Equal(t, "OPTIONS", mocks[0].Method)

	tests := []struct {
		name string
		vars map[string]string
		want map[string]string
	}{
		{"stage variables set: their values, quoted", map[string]string{"corsOrigin": "https://wallet.example", "corsMaxAge": "7200"},
			map[string]string{"method.response.header.Access-Control-Allow-Origin": "'https://wallet.example'",
				"method.response.header.Access-Control-Max-Age": "'7200'", "method.response.header.X-Static": "'yes'"}},
		{"no stage variables: those headers left out", nil, map[string]string{"method.response.header.X-Static": "'yes'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeMocks{vars: tt.vars}
			require.NoError(t, ApplyMockIntegrations(context.Background(), f, "api1", "dev", mocks))
			require.Len(t, f.integration, 1)
			assert.Equal(t, agtypes.IntegrationTypeMock, f.integration[0].Type)
			assert.Equal(t, "r1", aws.ToString(f.integration[0].ResourceId))
			assert.Equal(t, `{"statusCode": 204}`, f.integration[0].RequestTemplates["application/json"])
			require.Len(t, f.intResp, 2)
			notFound, preflight := f.intResp[0], f.intResp[1] // patterns in order: "404", "default"
			assert.Equal(t, "404", aws.ToString(notFound.SelectionPattern))
			assert.Nil(t, preflight.SelectionPattern, "default: no pattern")
			assert.Equal(t, tt.want, preflight.ResponseParameters)
			require.Len(t, f.methodResp, 2)
			assert.Len(t, f.methodResp[1].ResponseParameters, 3, "every mapped header declared on the method response")
		})
	}
}

func TestTheAPIDocumentsPreflightsAreMocks(t *testing.T) {
	doc, err := os.ReadFile("../../api/openapi.yaml")
	require.NoError(t, err)
	mocks, err := ReadMockIntegrations(doc)
	require.NoError(t, err)
	require.NotEmpty(t, mocks)
	for _, m := range mocks {
		assert.Equal(t, "OPTIONS", m.Method, m.Path)
	}
}
