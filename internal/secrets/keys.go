package secrets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/serverless-wallet/wallet/internal/auth"
)

// Staging labels Secrets Manager moves on every new version of a secret.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// SigningKeys reads the token signing keys from one secret: its AWSCURRENT version signs,
// its AWSPREVIOUS version still verifies. A key's id is its version id.
type SigningKeys struct {
	API      API
	SecretID string
}

var _ auth.KeySource = SigningKeys{}

// keyringReadsMax bounds how often Keyring reads the two versions again when a
// rotation moved the labels between its reads.
const keyringReadsMax = 3

// errTornRead is why Keyring gives up: every read of the pair straddled a rotation.
var errTornRead = errors.New("the secret was rotated during every read of its keys")

// Keyring reads both versions; a secret that was never rotated has no previous one.
// The two labels are two reads, so a rotation between them could pair the old current
// key with the new previous one (the same key twice, the new key missing): the current
// version is read again after the previous one, and the pair is kept only when the
// current version did not move in between.
func (s SigningKeys) Keyring(ctx context.Context) (auth.Keyring, error) {
	for range keyringReadsMax {
		ring, err := s.read(ctx)
		if err != nil {
			return auth.Keyring{}, err
		}
		again, err := s.version(ctx, stageCurrent)
		if err != nil {
			return auth.Keyring{}, err
		}
		torn := again.ID != ring.Current.ID || (ring.Previous != nil && ring.Previous.ID == ring.Current.ID)
		if !torn {
			return ring, nil
		}
	}
	return auth.Keyring{}, fmt.Errorf("read secret %s: %w", s.SecretID, errTornRead)
}

// read reads the current version, then the previous one.
func (s SigningKeys) read(ctx context.Context) (auth.Keyring, error) {
	current, err := s.version(ctx, stageCurrent)
	if err != nil {
		return auth.Keyring{}, err
	}
	ring := auth.Keyring{Current: current}
	previous, err := s.version(ctx, stagePrevious)
	var notFound *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
	case err != nil:
		return auth.Keyring{}, err
	default:
		ring.Previous = &previous
	}
	return ring, nil
}

func (s SigningKeys) version(ctx context.Context, stage string) (auth.Key, error) {
	out, err := s.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(s.SecretID), VersionStage: aws.String(stage)})
	if err != nil {
		return auth.Key{}, fmt.Errorf("read secret %s (%s): %w", s.SecretID, stage, err)
	}
	if aws.ToString(out.SecretString) == "" || aws.ToString(out.VersionId) == "" {
		return auth.Key{}, fmt.Errorf("read secret %s (%s): empty", s.SecretID, stage)
	}
	return auth.Key{ID: aws.ToString(out.VersionId), Secret: []byte(aws.ToString(out.SecretString))}, nil
}

// Rotator is what rotating a key needs from Secrets Manager.
type Rotator interface {
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// signingKeyBytes is the size of a new key: 32 random bytes, written as 64 hex digits.
const signingKeyBytes = 32

// RotateSigningKey writes a new random key as the secret's AWSCURRENT version; the
// current one becomes AWSPREVIOUS and the previous one is retired. It returns the new
// key's id.
func RotateSigningKey(ctx context.Context, api Rotator, secretID string) (string, error) {
	key := make([]byte, signingKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("new signing key: %w", err)
	}
	out, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretID), SecretString: aws.String(fmt.Sprintf("%x", key))})
	if err != nil {
		return "", fmt.Errorf("rotate %s: %w", secretID, err)
	}
	return aws.ToString(out.VersionId), nil
}
