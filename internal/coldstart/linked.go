// Package coldstart measures how long a Lambda bootstrap takes from process start to
// its first answered invoke under the Lambda runtime interface emulator (make
// bench-cold), and what each bootstrap links.
package coldstart

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
	"regexp"
	"sort"
)

// serviceFunc matches a function of an AWS SDK service module in a Go binary's function
// table: github.com/aws/aws-sdk-go-v2/service/sns.(*Client).Publish is a method of the
// sns client, github.com/aws/aws-sdk-go-v2/service/sns/schemas.init is not.
var serviceFunc = regexp.MustCompile(`aws-sdk-go-v2/service/([a-z0-9]+)([./])(\(\*Client\)\.)?`)

// Links is what a bootstrap links of the AWS SDK's service modules.
type Links struct {
	// Clients are the services whose client methods are linked.
	Clients []string
	// CodeOnly are the services with code but no client method linked: error types and
	// the schemas built at init, kept because the package is imported.
	CodeOnly []string
}

// LinkedServices reads a Go ELF binary's function table (.gopclntab, which a stripped
// binary keeps) and returns which AWS SDK services it links.
func LinkedServices(path string) (Links, error) {
	f, err := elf.Open(path)
	if err != nil {
		return Links{}, err
	}
	defer func() { _ = f.Close() }()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return Links{}, fmt.Errorf("%s: no .gopclntab or .text section", path)
	}
	data, err := pcln.Data()
	if err != nil {
		return Links{}, fmt.Errorf("%s: %w", path, err)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return Links{}, fmt.Errorf("%s: function table: %w", path, err)
	}
	client := map[string]bool{} // service → a client method is linked
	for _, fn := range table.Funcs {
		m := serviceFunc.FindStringSubmatch(fn.Name)
		if m == nil || m[1] == "internal" { // service/internal/... is shared middleware
			continue
		}
		client[m[1]] = client[m[1]] || m[3] != ""
	}
	var l Links
	for service, hasClient := range client {
		if hasClient {
			l.Clients = append(l.Clients, service)
		} else {
			l.CodeOnly = append(l.CodeOnly, service)
		}
	}
	sort.Strings(l.Clients)
	sort.Strings(l.CodeOnly)
	return l, nil
}
