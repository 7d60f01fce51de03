package app

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLambdaConfig(t *testing.T) {
	lambdaEnv := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "tok"}
	with := func(changes map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range lambdaEnv {
			env[k] = v
		}
		for k, v := range changes {
			env[k] = v
		}
		return env
	}
	tests := []struct {
		name         string
		env          map[string]string
		wantRegion   string
		wantEndpoint *string
		wantErr      string
	}{
		{name: "on AWS", env: lambdaEnv, wantRegion: "eu-west-1"},
		{name: "on a local engine", env: with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}), wantRegion: "eu-west-1", wantEndpoint: aws.String("http://127.0.0.1:4566")},
		{name: "the default region variable", env: with(map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east-1"}), wantRegion: "us-east-1"},
		{name: "no region", env: with(map[string]string{"AWS_REGION": ""}), wantErr: "AWS_REGION"},
		{name: "no credentials", env: with(map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}), wantErr: "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := lambdaConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantRegion, cfg.Region)
			assert.Equal(t, tt.wantEndpoint, cfg.BaseEndpoint)
			creds, err := cfg.Credentials.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s", SessionToken: "tok", Source: creds.Source}, creds)
		})
	}
}
