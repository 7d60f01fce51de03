// Package cli holds what the operator commands under cmd/ share: how a command reports
// its failure, and how it reads the stack outputs the deploy wrote.
package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// ExitCode is the status a command's main exits with, `os.Exit(cli.ExitCode(os.Stderr,
// "invoke", run()))`: 0 when run succeeded; otherwise 1, after writing the error to w
// after the command's name.
func ExitCode(w io.Writer, name string, err error) int {
	if err == nil {
		return 0
	}
	_, _ = fmt.Fprintf(w, "%s: %v\n", name, err)
	return 1
}

// ReadOutputs reads a stack outputs file (scripts/deploy-local.sh writes
// .local/outputs.json): output name to value.
func ReadOutputs(path string) (map[string]string, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the operator names the file
	if err != nil {
		return nil, err
	}
	var outputs map[string]string
	if err := json.Unmarshal(b, &outputs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return outputs, nil
}
