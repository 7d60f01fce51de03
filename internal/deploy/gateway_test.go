package deploy

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeGateway struct {
	puts    []*apigateway.PutGatewayResponseInput
	deploys []*apigateway.CreateDeploymentInput
	putErr  error
}

func (f *fakeGateway) PutGatewayResponse(_ context.Context, in *apigateway.PutGatewayResponseInput, _ ...func(*apigateway.Options)) (*apigateway.PutGatewayResponseOutput, error) {
	f.puts = append(f.puts, in)
	return &apigateway.PutGatewayResponseOutput{}, f.putErr
}

func (f *fakeGateway) CreateDeployment(_ context.Context, in *apigateway.CreateDeploymentInput, _ ...func(*apigateway.Options)) (*apigateway.CreateDeploymentOutput, error) {
	f.deploys = append(f.deploys, in)
	return &apigateway.CreateDeploymentOutput{}, nil
}

const gatewayDoc = `openapi: 3.0.3
x-amazon-apigateway-gateway-responses:
  UNAUTHORIZED:
    statusCode: 401
    responseParameters:
      gatewayresponse.header.WWW-Authenticate: "'Bearer'"
    responseTemplates:
      application/json: '{"error":{"code":"unauthenticated"}}'
  DEFAULT_5XX:
    responseTemplates:
      application/json: '{"error":{"code":"internal_error"}}'
paths: {}
`

func TestApplyGatewayResponses(t *testing.T) {
	responses, err := GatewayResponses([]byte(gatewayDoc))
	require.NoError(t, err)
	require.Len(t, responses, 2)

	gw := &fakeGateway{}
	require.NoError(t, ApplyGatewayResponses(context.Background(), gw, "api1", "dev", responses))
	require.Len(t, gw.puts, 2)
	assert.Equal(t, "DEFAULT_5XX", string(gw.puts[0].ResponseType), "in a stable order")
	assert.Nil(t, gw.puts[0].StatusCode, "no status: the type's own")
	unauthorized := gw.puts[1]
	assert.Equal(t, "UNAUTHORIZED", string(unauthorized.ResponseType))
	assert.Equal(t, "401", aws.ToString(unauthorized.StatusCode))
	assert.Equal(t, "'Bearer'", unauthorized.ResponseParameters["gatewayresponse.header.WWW-Authenticate"])
	assert.JSONEq(t, `{"error":{"code":"unauthenticated"}}`, unauthorized.ResponseTemplates["application/json"])
	require.Len(t, gw.deploys, 1, "the stage is deployed again so it serves them")
	assert.Equal(t, "api1", aws.ToString(gw.deploys[0].RestApiId))
	assert.Equal(t, "dev", aws.ToString(gw.deploys[0].StageName))
}

func TestApplyGatewayResponsesStopsAtAFailedPut(t *testing.T) {
	gw := &fakeGateway{putErr: errors.New("boom")}
	responses, err := GatewayResponses([]byte(gatewayDoc))
	require.NoError(t, err)
	err = ApplyGatewayResponses(context.Background(), gw, "api1", "dev", responses)
	require.ErrorContains(t, err, "boom")
	assert.Empty(t, gw.deploys, "no deployment of a half-applied set")
}

func TestTheAPIDocumentDeclaresItsGatewayResponses(t *testing.T) {
	doc, err := os.ReadFile("../../api/openapi.yaml")
	require.NoError(t, err)
	responses, err := GatewayResponses(doc)
	require.NoError(t, err)
	for _, typ := range []string{"UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} {
		r, ok := responses[typ]
		if assert.True(t, ok, typ) {
			assert.Contains(t, r.ResponseTemplates["application/json"], `{"error":{"code":"`, typ)
		}
	}
}
