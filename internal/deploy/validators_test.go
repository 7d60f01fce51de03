package deploy

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	agtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const validationDoc = `openapi: 3.0.3
x-amazon-apigateway-request-validators:
  all:
    validateRequestBody: true
    validateRequestParameters: true
  params:
    validateRequestParameters: true
paths:
  /v1/things/{id}:
    parameters:
      - $ref: "#/components/parameters/Id"
    get:
      operationId: getThing
    post:
      operationId: creditThing
      x-amazon-apigateway-request-validator: all
      parameters:
        - $ref: "#/components/parameters/Key"
        - name: dry_run
          in: query
      requestBody:
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Credit"
  /v1/things/{id}/void:
    post:
      x-amazon-apigateway-request-validator: params
components:
  parameters:
    Id: {name: id, in: path, required: true}
    Key: {name: Idempotency-Key, in: header, required: true}
  schemas:
    Credit:
      type: object
      required: [amount]
      properties:
        amount: {type: integer, minimum: 1}
        currency: {$ref: "#/components/schemas/Currency"}
    Currency:
      enum: [EUR, USD]
`

func TestReadRequestValidation(t *testing.T) {
	rv, err := ReadRequestValidation([]byte(validationDoc))
	require.NoError(t, err)

	assert.Equal(t, map[string]Validator{"all": {Body: true, Parameters: true}, "params": {Parameters: true}}, rv.Validators)
	require.Len(t, rv.Methods, 2, "only operations that name a validator")
	credit, void := rv.Methods[0], rv.Methods[1]
	assert.Equal(t, MethodValidation{
		Path: "/v1/things/{id}", Method: "POST", Validator: "all", Model: "Credit",
		Required: map[string]bool{
			"method.request.path.id":                true,
			"method.request.header.Idempotency-Key": true,
			"method.request.querystring.dry_run":    false,
		},
	}, credit)
	assert.Equal(t, "/v1/things/{id}/void", void.Path)
	assert.Empty(t, void.Model)

	require.Contains(t, rv.Models, "Credit")
	assert.JSONEq(t, `{"type":"object","required":["amount"],"properties":{
		"amount":{"type":"integer","minimum":1},
		"currency":{"enum":["EUR","USD"]}}}`, rv.Models["Credit"], "refs inlined: the model stands alone")
}

func TestReadRequestValidationRefusesWhatItCannotImport(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{
			name: "unknown validator",
			doc: `paths:
  /a:
    post:
      x-amazon-apigateway-request-validator: missing`,
			wantErr: `unknown request validator "missing"`,
		},
		{
			name: "inline body schema has no model name",
			doc: `x-amazon-apigateway-request-validators: {v: {validateRequestBody: true}}
paths:
  /a:
    post:
      x-amazon-apigateway-request-validator: v
      requestBody: {content: {application/json: {schema: {type: object}}}}`,
			wantErr: "must be a $ref",
		},
		{
			name: "self-referencing schema",
			doc: `x-amazon-apigateway-request-validators: {v: {validateRequestBody: true}}
paths:
  /a:
    post:
      x-amazon-apigateway-request-validator: v
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Loop"}}}}
components:
  schemas:
    Loop: {properties: {next: {$ref: "#/components/schemas/Loop"}}}`,
			wantErr: "nest deeper than",
		},
		{
			name: "dangling ref",
			doc: `x-amazon-apigateway-request-validators: {v: {validateRequestParameters: true}}
paths:
  /a:
    post:
      x-amazon-apigateway-request-validator: v
      parameters: [{$ref: "#/components/parameters/Nope"}]`,
			wantErr: "names nothing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRequestValidation([]byte(tt.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// fakeValidationAPI keeps one REST API's validators, models and methods in memory.
type fakeValidationAPI struct {
	validators map[string]agtypes.RequestValidator // by id
	models     map[string]string                   // schema by name
	resources  map[string]string                   // id by path
	methods    map[string]*apigateway.GetMethodOutput
	creates    int
}

func newFakeValidationAPI() *fakeValidationAPI {
	return &fakeValidationAPI{
		validators: map[string]agtypes.RequestValidator{},
		models:     map[string]string{},
		resources:  map[string]string{"/v1/things/{id}": "r1", "/v1/things/{id}/void": "r2"},
		methods: map[string]*apigateway.GetMethodOutput{
			"r1 POST": {
				AuthorizationType: aws.String("CUSTOM"), AuthorizerId: aws.String("auth1"),
				RequestParameters: map[string]bool{"method.request.path.id": true},
				MethodIntegration: &agtypes.Integration{Type: agtypes.IntegrationTypeAwsProxy, HttpMethod: aws.String("POST"), Uri: aws.String("arn:fn:credit")},
			},
			"r2 POST": {
				AuthorizationType: aws.String("CUSTOM"), AuthorizerId: aws.String("auth1"),
				MethodIntegration: &agtypes.Integration{Type: agtypes.IntegrationTypeAwsProxy, HttpMethod: aws.String("POST"), Uri: aws.String("arn:fn:void")},
			},
		},
	}
}

func (f *fakeValidationAPI) GetRequestValidators(context.Context, *apigateway.GetRequestValidatorsInput, ...func(*apigateway.Options)) (*apigateway.GetRequestValidatorsOutput, error) {
	out := &apigateway.GetRequestValidatorsOutput{}
	for _, v := range f.validators {
		out.Items = append(out.Items, v)
	}
	return out, nil
}

func (f *fakeValidationAPI) CreateRequestValidator(_ context.Context, in *apigateway.CreateRequestValidatorInput, _ ...func(*apigateway.Options)) (*apigateway.CreateRequestValidatorOutput, error) {
	f.creates++
	id := fmt.Sprintf("v%d", len(f.validators)+1)
	f.validators[id] = agtypes.RequestValidator{Id: aws.String(id), Name: in.Name, ValidateRequestBody: in.ValidateRequestBody, ValidateRequestParameters: in.ValidateRequestParameters}
	return &apigateway.CreateRequestValidatorOutput{Id: aws.String(id)}, nil
}

func (f *fakeValidationAPI) GetModels(context.Context, *apigateway.GetModelsInput, ...func(*apigateway.Options)) (*apigateway.GetModelsOutput, error) {
	out := &apigateway.GetModelsOutput{}
	for name := range f.models {
		out.Items = append(out.Items, agtypes.Model{Name: aws.String(name)})
	}
	return out, nil
}

func (f *fakeValidationAPI) CreateModel(_ context.Context, in *apigateway.CreateModelInput, _ ...func(*apigateway.Options)) (*apigateway.CreateModelOutput, error) {
	f.creates++
	f.models[aws.ToString(in.Name)] = aws.ToString(in.Schema)
	return &apigateway.CreateModelOutput{}, nil
}

func (f *fakeValidationAPI) UpdateModel(_ context.Context, in *apigateway.UpdateModelInput, _ ...func(*apigateway.Options)) (*apigateway.UpdateModelOutput, error) {
	f.models[aws.ToString(in.ModelName)] = aws.ToString(in.PatchOperations[0].Value)
	return &apigateway.UpdateModelOutput{}, nil
}

func (f *fakeValidationAPI) GetResources(context.Context, *apigateway.GetResourcesInput, ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error) {
	out := &apigateway.GetResourcesOutput{}
	for path, id := range f.resources {
		out.Items = append(out.Items, agtypes.Resource{Path: aws.String(path), Id: aws.String(id)})
	}
	return out, nil
}

func (f *fakeValidationAPI) GetMethod(_ context.Context, in *apigateway.GetMethodInput, _ ...func(*apigateway.Options)) (*apigateway.GetMethodOutput, error) {
	m, ok := f.methods[aws.ToString(in.ResourceId)+" "+aws.ToString(in.HttpMethod)]
	if !ok {
		return nil, fmt.Errorf("no method")
	}
	return m, nil
}

// PutMethod replaces the method and drops its integration, as the engine does.
func (f *fakeValidationAPI) PutMethod(_ context.Context, in *apigateway.PutMethodInput, _ ...func(*apigateway.Options)) (*apigateway.PutMethodOutput, error) {
	f.methods[aws.ToString(in.ResourceId)+" "+aws.ToString(in.HttpMethod)] = &apigateway.GetMethodOutput{
		AuthorizationType:  in.AuthorizationType,
		AuthorizerId:       in.AuthorizerId,
		RequestParameters:  in.RequestParameters,
		RequestModels:      in.RequestModels,
		RequestValidatorId: in.RequestValidatorId,
	}
	return &apigateway.PutMethodOutput{}, nil
}

func (f *fakeValidationAPI) PutIntegration(_ context.Context, in *apigateway.PutIntegrationInput, _ ...func(*apigateway.Options)) (*apigateway.PutIntegrationOutput, error) {
	m := f.methods[aws.ToString(in.ResourceId)+" "+aws.ToString(in.HttpMethod)]
	m.MethodIntegration = &agtypes.Integration{Type: in.Type, HttpMethod: in.IntegrationHttpMethod, Uri: in.Uri}
	return &apigateway.PutIntegrationOutput{}, nil
}

func TestApplyRequestValidationKeepsAuthorizerAndIntegration(t *testing.T) {
	rv, err := ReadRequestValidation([]byte(validationDoc))
	require.NoError(t, err)
	api := newFakeValidationAPI()
	require.NoError(t, ApplyRequestValidation(context.Background(), api, "api1", rv))

	credit := api.methods["r1 POST"]
	all := api.validators[aws.ToString(credit.RequestValidatorId)]
	assert.Equal(t, "all", aws.ToString(all.Name))
	assert.True(t, all.ValidateRequestBody)
	assert.Equal(t, map[string]string{"application/json": "Credit"}, credit.RequestModels)
	assert.True(t, credit.RequestParameters["method.request.header.Idempotency-Key"])
	assert.Equal(t, "auth1", aws.ToString(credit.AuthorizerId), "the authorizer stays")
	require.NotNil(t, credit.MethodIntegration, "the integration is put back")
	assert.Equal(t, "arn:fn:credit", aws.ToString(credit.MethodIntegration.Uri))

	void := api.methods["r2 POST"]
	assert.Equal(t, "params", aws.ToString(api.validators[aws.ToString(void.RequestValidatorId)].Name))
	assert.Empty(t, void.RequestModels)
	assert.Equal(t, "arn:fn:void", aws.ToString(void.MethodIntegration.Uri))

	creates := api.creates
	require.NoError(t, ApplyRequestValidation(context.Background(), api, "api1", rv), "running it again")
	assert.Equal(t, creates, api.creates, "again creates no second validator or model")
	assert.Len(t, api.validators, 2)
}

func TestApplyRequestValidationNeedsTheResource(t *testing.T) {
	rv, err := ReadRequestValidation([]byte(validationDoc))
	require.NoError(t, err)
	api := newFakeValidationAPI()
	delete(api.resources, "/v1/things/{id}/void")
	err = ApplyRequestValidation(context.Background(), api, "api1", rv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no resource /v1/things/{id}/void")
}
