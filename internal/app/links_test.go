package app_test

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The AWS SDK service clients beyond DynamoDB that each function may link; every other
// function links none of them (docs/PERFORMANCE.md, "Bootstrap sizes and what each
// links"). Adding a client to a function means adding it here, on purpose.
var clientsBeyondDynamoDB = map[string][]string{
	"authorizer":        {"secretsmanager"},
	"login":             {"secretsmanager"},
	"refresh":           {"secretsmanager"},
	"createtransfer":    {"sfn"},
	"capturetransfer":   {"sfn"},
	"voidtransfer":      {"sfn"},
	"refundtransfer":    {"sfn"},
	"paypaymentrequest": {"sfn"},
	"publishevents":     {"sns"},
	"notify":            {"sns"},
}

// composedClients are the clients the composition root builds outside internal/app.
var composedClients = []string{"secretsmanager", "sfn", "sns"}

var servicePackage = regexp.MustCompile(`^github\.com/aws/aws-sdk-go-v2/service/([a-z0-9]+)$`)

func TestEachFunctionImportsOnlyTheClientsItNeeds(t *testing.T) {
	const module = "github.com/serverless-wallet/wallet/functions/"
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{range .Deps}} {{.}}{{end}}{{end}}`,
		module+"...").Output()
	require.NoError(t, err)
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		fn := strings.TrimPrefix(fields[0], module)
		var got []string
		for _, dep := range fields[1:] {
			if m := servicePackage.FindStringSubmatch(dep); m != nil && slices.Contains(composedClients, m[1]) {
				got = append(got, m[1])
			}
		}
		want := clientsBeyondDynamoDB[fn]
		slices.Sort(got)
		slices.Sort(want)
		assert.Equal(t, want, got, fn)
		seen++
	}
	dirs, err := os.ReadDir("../../functions")
	require.NoError(t, err)
	assert.Equal(t, len(dirs), seen, "functions listed")
}
