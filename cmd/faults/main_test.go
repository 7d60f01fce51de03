package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/chaos"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]chaos.Fault
		wantErr  bool
	}{
		{"none", "", map[string]chaos.Fault{}, false},
		{"one", "post=fail", map[string]chaos.Fault{"post": {Mode: "fail"}}, false},
		{"two", "post=fail,release=fail", map[string]chaos.Fault{"post": {Mode: "fail"}, "release": {Mode: "fail"}}, false},
		{"no mode", "post=", nil, true},
		{"no step", "=fail", nil, true},
		{"no equals", "post", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFaults(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
