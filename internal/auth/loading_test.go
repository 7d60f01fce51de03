package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gatedSource answers each read once release is closed, failing the first fails reads.
type gatedSource struct {
	release chan struct{}
	mu      sync.Mutex
	fails   int
	loads   int
}

var errSecretsDown = errors.New("secretsmanager: unavailable")

func (g *gatedSource) Keyring(context.Context) (Keyring, error) {
	<-g.release
	g.mu.Lock()
	defer g.mu.Unlock()
	g.loads++
	if g.loads <= g.fails {
		return Keyring{}, errSecretsDown
	}
	return testRing, nil
}

func (g *gatedSource) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.loads
}

// TestTokensLoadingReadsTheKeysInTheBackground: the constructor does not wait for the
// keys; the first Issue waits for their read, or reads them itself when it failed, and
// refuses to sign or verify with no keys at all.
func TestTokensLoadingReadsTheKeysInTheBackground(t *testing.T) {
	now := fixedClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	signed, _, err := newTestTokens(t, now).Issue(context.Background(), "u1", RoleUser, true, "s_1")
	require.NoError(t, err)
	tests := []struct {
		name      string
		fails     int
		wantErr   error
		wantLoads int
	}{
		{"the background read serves the first call", 0, nil, 1},
		{"a failed background read is tried again by the first call", 1, nil, 2},
		{"no keys: nothing signed or verified", 1 << 30, ErrNoKeys, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &gatedSource{release: make(chan struct{}), fails: tt.fails}
			tk, err := NewTokensLoading(src, time.Minute, "wallet-api", "wallet-clients", now)
			require.NoError(t, err, "the constructor returns before the keys are read")
			assert.Equal(t, 0, src.count())

			issued := make(chan error, 1)
			go func() {
				_, _, err := tk.Issue(context.Background(), "u1", RoleUser, true, "s_1")
				issued <- err
			}()
			select {
			case err := <-issued:
				t.Fatalf("Issue answered (%v) before the keys were read", err)
			case <-time.After(20 * time.Millisecond):
			}
			close(src.release)
			err = <-issued
			_, verr := tk.Verify(context.Background(), signed)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.ErrorIs(t, verr, tt.wantErr, "not a refusal of the token: its keys are missing")
				assert.NotErrorIs(t, verr, ErrTokenInvalid)
			} else {
				assert.NoError(t, err)
				assert.NoError(t, verr)
			}
			assert.Equal(t, tt.wantLoads, src.count())
		})
	}
}

func TestNewTokensLoadingChecksItsInputs(t *testing.T) {
	for name, in := range map[string]struct {
		refresh  time.Duration
		iss, aud string
	}{"no issuer": {time.Minute, "", "aud"}, "no audience": {time.Minute, "iss", ""}, "no refresh": {0, "iss", "aud"}} {
		t.Run(name, func(t *testing.T) {
			_, err := NewTokensLoading(StaticKeys(testRing), in.refresh, in.iss, in.aud, nil)
			assert.Error(t, err)
		})
	}
}
