package secrets

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rotatingSecret is a secret whose versions are labelled like Secrets Manager's; before
// the reads listed in rotateBefore (counted from 1) it rotates, the way an operator's
// rotation lands between two reads of a function reloading its keys.
type rotatingSecret struct {
	current, previous string // version ids; "" when there is none
	reads             int
	rotateBefore      map[int]bool
	rotations         int
}

func (r *rotatingSecret) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	r.reads++
	if r.rotateBefore[r.reads] {
		r.rotations++
		r.previous, r.current = r.current, fmt.Sprintf("v%d", r.rotations+1)
	}
	id := r.current
	if aws.ToString(in.VersionStage) == stagePrevious {
		id = r.previous
	}
	if id == "" {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("no such label")}
	}
	return &secretsmanager.GetSecretValueOutput{VersionId: aws.String(id), SecretString: aws.String(strings.Repeat(id, 32))}, nil
}

func TestKeyringIsOneMomentOfTheSecret(t *testing.T) {
	tests := []struct {
		name         string
		previous     string // before any rotation; the current version is v1
		rotateBefore []int
		wantCurrent  string
		wantPrevious string // "" for none
		wantErr      bool
	}{
		{"never rotated", "", nil, "v1", "", false},
		{"no rotation during the read", "v0", nil, "v1", "v0", false},
		{"rotated before the previous label is read", "v0", []int{2}, "v2", "v1", false},
		{"rotated before the current label is read again", "v0", []int{3}, "v2", "v1", false},
		{"rotated between the reads of a never-rotated secret", "", []int{2}, "v2", "v1", false},
		{"rotated during every read", "v0", []int{2, 5, 8}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &rotatingSecret{current: "v1", previous: tt.previous, rotateBefore: map[int]bool{}}
			for _, n := range tt.rotateBefore {
				api.rotateBefore[n] = true
			}
			ring, err := SigningKeys{API: api, SecretID: "s"}.Keyring(context.Background())
			if tt.wantErr {
				require.ErrorIs(t, err, errTornRead)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantCurrent, ring.Current.ID)
			if tt.wantPrevious == "" {
				assert.Nil(t, ring.Previous)
				return
			}
			require.NotNil(t, ring.Previous)
			assert.Equal(t, tt.wantPrevious, ring.Previous.ID)
			assert.Equal(t, strings.Repeat(tt.wantPrevious, 32), string(ring.Previous.Secret))
		})
	}
}
