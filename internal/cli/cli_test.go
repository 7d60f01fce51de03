package cli_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/serverless-wallet/wallet/internal/cli"
)

func TestExitCode(t *testing.T) {
	var out bytes.Buffer
	assert.Equal(t, 0, cli.ExitCode(&out, "invoke", nil))
	assert.Empty(t, out.String(), "a success writes nothing")
	assert.Equal(t, 1, cli.ExitCode(&out, "invoke", errors.New("no such function")))
	assert.Equal(t, "invoke: no such function\n", out.String())
}

func TestReadOutputs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "outputs.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"LocalApiUrl": "http://127.0.0.1:4610/api"}`), 0o600))
	outputs, err := cli.ReadOutputs(good)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"LocalApiUrl": "http://127.0.0.1:4610/api"}, outputs)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`[1]`), 0o600))
	_, err = cli.ReadOutputs(bad)
	assert.ErrorContains(t, err, bad, "a malformed file is named")

	_, err = cli.ReadOutputs(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
