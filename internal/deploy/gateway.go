package deploy

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"gopkg.in/yaml.v3"
)

// GatewayResponse is one entry of an OpenAPI document's
// x-amazon-apigateway-gateway-responses.
type GatewayResponse struct {
	StatusCode         int               `yaml:"statusCode"`
	ResponseParameters map[string]string `yaml:"responseParameters"`
	ResponseTemplates  map[string]string `yaml:"responseTemplates"`
}

// GatewayResponses reads the gateway responses of an OpenAPI document, by response type.
func GatewayResponses(doc []byte) (map[string]GatewayResponse, error) {
	var d struct {
		Responses map[string]GatewayResponse `yaml:"x-amazon-apigateway-gateway-responses"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("read gateway responses: %w", err)
	}
	return d.Responses, nil
}

// GatewayAPI is the part of the API Gateway client that ApplyGatewayResponses uses.
type GatewayAPI interface {
	PutGatewayResponse(ctx context.Context, in *apigateway.PutGatewayResponseInput, opts ...func(*apigateway.Options)) (*apigateway.PutGatewayResponseOutput, error)
	CreateDeployment(ctx context.Context, in *apigateway.CreateDeploymentInput, opts ...func(*apigateway.Options)) (*apigateway.CreateDeploymentOutput, error)
}

// ApplyGatewayResponses puts each response on a REST API and deploys the stage again, so
// the stage serves them. It is for the local engine only, which does not import a REST
// API body's x-amazon-apigateway-gateway-responses (localstack/MINISTACK_GAPS.md); on AWS
// the import does it. Putting a response is idempotent.
func ApplyGatewayResponses(ctx context.Context, api GatewayAPI, apiID, stage string, responses map[string]GatewayResponse) error {
	types := make([]string, 0, len(responses))
	for t := range responses {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		r := responses[t]
		in := &apigateway.PutGatewayResponseInput{
			RestApiId:          aws.String(apiID),
			ResponseType:       agtypes.GatewayResponseType(t),
			ResponseParameters: r.ResponseParameters,
			ResponseTemplates:  r.ResponseTemplates,
		}
		if r.StatusCode != 0 {
			in.StatusCode = aws.String(strconv.Itoa(r.StatusCode))
		}
		if _, err := api.PutGatewayResponse(ctx, in); err != nil {
			return fmt.Errorf("put gateway response %s: %w", t, err)
		}
	}
	_, err := api.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId:   aws.String(apiID),
		StageName:   aws.String(stage),
		Description: aws.String("gateway responses from the API document"),
	})
	if err != nil {
		return fmt.Errorf("redeploy stage %s: %w", stage, err)
	}
	return nil
}
